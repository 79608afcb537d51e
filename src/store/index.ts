export type * from './port.js';
export { SqliteStore } from './sqlite.js';
export { MemoryStore } from './memory.js';
export { addRollup, emptyRollup, HISTOGRAM_BOUNDS, MINUTE_MS, quantile } from './rollups.js';

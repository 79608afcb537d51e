export type * from './port.js';
export { SqliteStore } from './sqlite.js';
export { MemoryStore } from './memory.js';

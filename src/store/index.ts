export type * from './port.js';
export { SqliteStore } from './sqlite.js';
export { MemoryStore } from './memory.js';
export { addRollup, emptyRollup, HISTOGRAM_BOUNDS, MINUTE_MS, quantile } from './rollups.js';
export { SqliteFunctionMetrics, type FunctionMetricPoint, type FunctionMetricQuery, type FunctionMetricSummary } from './function-metrics.js';
export { PgStore, PgControlStore, PgTelemetryStore, type PgStoreOptions } from './pg/index.js';
export { PgFunctionMetrics } from './pg-function-metrics.js';

export type { KvStore, KvListResult } from './port.js';
export { MAX_KV_KEY_BYTES, MAX_KV_VALUE_BYTES } from './port.js';
export { SqliteKvStore, type SqliteKvStoreOptions } from './sqlite.js';
export { MemoryKvStore } from './memory.js';
export { PgKvStore, type PgKvStoreOptions } from './pg.js';

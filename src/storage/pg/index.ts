/** Object storage on PostgreSQL (cluster mode): imported by the postgres backend only, so an embedded node never loads it. */
export { PgObjectStore, type PgObjectStoreOptions } from './store.js';
export { OBJECT_MIGRATIONS, OBJECT_TABLES } from './schema.js';

export { openPgPool, withTransaction, pgErrorCode, type PgPool, type PgClient, type PgPoolOptions, type Queryable } from './pool.js';
export { migratePg } from './migrate.js';

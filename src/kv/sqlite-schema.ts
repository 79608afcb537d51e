/**
 * The SQLite KV adapter's own migrations (component `kv` in `nimbus_migrations`, see
 * store/sqlite-migrate.ts). Before the adapters owned their schemas, store migrations 0003 and
 * 0004 created these; the first entry repeats their definitions with IF NOT EXISTS, so a data dir
 * created then keeps its table and rows. Entry i is version i + 1; append, never edit.
 */
import type Database from 'better-sqlite3';
import { migrateSqlite } from '../store/sqlite-migrate.js';
import { migrateUsage } from '../store/usage.js';

export const KV_MIGRATIONS: readonly string[] = [
  // 0001 KV namespaces for bindings. expires_at: epoch ms, NULL = never; an expired row is
  // invisible at once and deleted by the periodic sweep (the partial index serves it). A rowid
  // table, not WITHOUT ROWID: values run up to 1 MB, which SQLite advises keeping out of the b-tree
  // key. Then this kind's quota usage (storage_usage, see store/usage.ts) counted from the rows a
  // database from before quotas already held; kept as it is where a running total exists.
  // KV namespaces are '<app>/<name>' (see runtime/bindings.ts).
  `
  CREATE TABLE IF NOT EXISTS kv (
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (namespace, key)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS kv_expires ON kv(expires_at) WHERE expires_at IS NOT NULL;
  INSERT OR IGNORE INTO storage_usage (app, kind, bytes)
    SELECT CASE WHEN instr(namespace, '/') > 0 THEN substr(namespace, 1, instr(namespace, '/') - 1) ELSE namespace END AS owner, 'kv',
      sum(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB)))
    FROM kv GROUP BY owner;
  `,
];

/** Create (or adopt) the KV tables on this connection's file: storage_usage first, then kv. */
export function migrateKv(db: Database.Database): void {
  migrateUsage(db);
  migrateSqlite(db, 'kv', KV_MIGRATIONS);
}

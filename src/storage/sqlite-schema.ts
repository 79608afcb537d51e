/**
 * The SQLite object metadata's own migrations (component `objects` in `nimbus_migrations`, see
 * store/sqlite-migrate.ts). Before the adapters owned their schemas, store migrations 0002 and
 * 0004 created these; the first entry repeats their definitions with IF NOT EXISTS, so a data dir
 * created then keeps its tables and rows. Entry i is version i + 1; append, never edit.
 */
import type Database from 'better-sqlite3';
import { migrateSqlite } from '../store/sqlite-migrate.js';
import { migrateUsage } from '../store/usage.js';

export const OBJECT_MIGRATIONS: readonly string[] = [
  // 0001 objects: bucket metadata; the bytes live in <data-dir>/buckets/<bucket>/<file>. Rows
  // belong to the app that owned the bucket when they were written, so an app that names a bucket
  // after its previous owner was deleted starts empty instead of reading the other's data.
  // bucket_outbox: bucket events committed with the object's row, moved to the queue after commit.
  // Then this kind's quota usage (storage_usage, see store/usage.ts) counted from the rows a
  // database from before quotas already held; kept as it is where a running total exists.
  `
  CREATE TABLE IF NOT EXISTS objects (
    app          TEXT NOT NULL,
    bucket       TEXT NOT NULL,
    key          TEXT NOT NULL,
    file         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    etag         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    uploaded_at  INTEGER NOT NULL,
    PRIMARY KEY (app, bucket, key)
  ) STRICT;
  -- The start-up sweep of orphan files reads every file of a bucket, whoever owns the rows.
  CREATE INDEX IF NOT EXISTS objects_bucket ON objects(bucket);

  CREATE TABLE IF NOT EXISTS bucket_outbox (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL
  ) STRICT;
  INSERT OR IGNORE INTO storage_usage (app, kind, bytes)
    SELECT app, 'bucket', sum(size) FROM objects GROUP BY app;
  `,
];

/** Create (or adopt) the object tables on this connection's file: storage_usage first, then objects. */
export function migrateObjects(db: Database.Database): void {
  migrateUsage(db);
  migrateSqlite(db, 'objects', OBJECT_MIGRATIONS);
}

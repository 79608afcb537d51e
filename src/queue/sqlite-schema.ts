/**
 * The event queue's own numbered migrations, in its own bookkeeping table (`queue_migrations`),
 * as graphile-worker keeps its schema apart from the application's. Why not the store's
 * `PRAGMA user_version` list: the queue is a port whose SQLite adapter owns its tables. It can
 * open any SQLite file (the store's `nimbus.db` in a node, a throwaway file in its contract
 * tests) without creating the store's tables, its schema evolves without renumbering the store's,
 * and a later move to its own file (or to another backend) takes nothing from the store along.
 * Entry i is migration i + 1. Never edit a released entry: append a new one.
 */
import type Database from 'better-sqlite3';
import { NimbusError } from '../shared/errors.js';

export const QUEUE_MIGRATIONS: readonly string[] = [
  // 0001 events and idempotency keys.
  `
  -- One row per event, from enqueue until it is delivered (then deleted) or dead-lettered.
  -- id is a UUIDv7 (time-ordered, so inserts land at the right edge of the primary key);
  -- the rowid orders events that share a run_at.
  CREATE TABLE queue_events (
    id           TEXT NOT NULL PRIMARY KEY,
    app          TEXT NOT NULL,
    function     TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'running', 'dead')),
    source       TEXT NOT NULL,
    shape        TEXT NOT NULL,
    origin       TEXT NOT NULL,
    payload      TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    run_at       INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    last_error   TEXT,
    dead_at      INTEGER,
    reason       TEXT
  ) STRICT;
  -- The one index every access path uses: claims (pending of a target by run_at), the
  -- skip-scan over targets with pending events, depth (pending + running of a target),
  -- recovery (running) and the dead-letter queue of a target.
  CREATE INDEX queue_events_state ON queue_events(state, app, function, run_at);

  -- Idempotency keys: kept 24 h per target, written in the same transaction as their event.
  CREATE TABLE queue_idempotency (
    app        TEXT NOT NULL,
    function   TEXT NOT NULL,
    key        TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app, function, key)
  ) STRICT, WITHOUT ROWID;
  -- Pruning deletes by age alone.
  CREATE INDEX queue_idempotency_created ON queue_idempotency(created_at);
  `,
  // 0002 hop counts (loop detection). A column rather than a field in the payload JSON: the payload
  // is what the function receives, and the hop must be neither visible to nor settable by it; a
  // column with a default is also O(1) to add to a queue that holds a backlog.
  `
  ALTER TABLE queue_events ADD COLUMN hop INTEGER NOT NULL DEFAULT 0;
  `,
  // 0003 trace context (issue 10): the W3C traceparent of what caused the event, so its delivery
  // continues that trace. A column for the reason the hop is one: the function must not set it.
  `
  ALTER TABLE queue_events ADD COLUMN traceparent TEXT;
  `,
];

/**
 * Bring the queue's tables up to date in one IMMEDIATE transaction, so two connections opening
 * the same file cannot both migrate. Returns the queue schema version.
 */
export function migrateQueue(db: Database.Database): number {
  const run = db.transaction((): number => {
    db.exec('CREATE TABLE IF NOT EXISTS queue_migrations (id INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
    const current = (db.prepare('SELECT coalesce(max(id), 0) FROM queue_migrations').pluck().get() as number) ?? 0;
    if (current > QUEUE_MIGRATIONS.length) {
      throw new NimbusError(
        'INTERNAL',
        `the event queue tables are at schema version ${current} but this Nimbus knows only ${QUEUE_MIGRATIONS.length}: ` + 'upgrade Nimbus or point it at another data directory',
      );
    }
    const record = db.prepare('INSERT INTO queue_migrations (id, applied_at) VALUES (?, ?)');
    QUEUE_MIGRATIONS.slice(current).forEach((sql, i) => {
      db.exec(sql);
      record.run(current + i + 1, Date.now());
    });
    return QUEUE_MIGRATIONS.length;
  });
  return run.immediate();
}

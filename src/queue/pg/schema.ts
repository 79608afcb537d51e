/**
 * The PostgreSQL event queue's numbered migrations (component 'queue' in `nimbus_migrations`,
 * applied by `migratePg` under its advisory lock, so N nodes starting together migrate once).
 * The tables mirror the SQLite ones (sqlite-schema.ts) plus the lease columns, so both adapters
 * answer the same contract. Entry i is migration i + 1; never edit a released entry: append.
 */
export const PG_QUEUE_MIGRATIONS: readonly string[] = [
  // 0001 events with leases, idempotency keys.
  `
  -- One row per event, from enqueue until it is delivered (then deleted) or dead-lettered.
  -- seq orders events that share a run_at (SQLite's rowid). The payload is text, not jsonb:
  -- the function receives exactly the JSON that was accepted (jsonb reorders keys and refuses \\u0000).
  -- A running event carries its lease: the node holding it, a token fresh at every claim (an
  -- acknowledgement must quote it) and the epoch ms after which any node may claim it again.
  CREATE TABLE queue_events (
    seq              bigint GENERATED ALWAYS AS IDENTITY,
    id               text NOT NULL PRIMARY KEY,
    app              text NOT NULL,
    function         text NOT NULL,
    state            text NOT NULL CHECK (state IN ('pending', 'running', 'dead')),
    source           text NOT NULL,
    shape            text NOT NULL,
    origin           text NOT NULL,
    payload          text NOT NULL,
    attempts         integer NOT NULL,
    max_attempts     integer NOT NULL,
    run_at           bigint NOT NULL,
    expires_at       bigint NOT NULL,
    created_at       bigint NOT NULL,
    last_error       text,
    dead_at          bigint,
    reason           text,
    hop              integer NOT NULL DEFAULT 0,
    traceparent      text,
    lease_owner      text,
    lease_token      text,
    lease_expires_at bigint,
    CHECK ((state = 'running') = (lease_token IS NOT NULL AND lease_expires_at IS NOT NULL))
  );
  -- Partial indexes, one per access path, so each stays as small as the state it serves:
  -- claims, depth and the per-target skip-scan that also finds the dispatcher's next timer
  -- (pending of a target by run_at), expired leases and recovery (running), the dead-letter queue.
  CREATE INDEX queue_events_pending ON queue_events (app, function, run_at, seq) WHERE state = 'pending';
  CREATE INDEX queue_events_running ON queue_events (lease_expires_at) WHERE state = 'running';
  CREATE INDEX queue_events_dead ON queue_events (app, function, dead_at, seq) WHERE state = 'dead';

  -- Idempotency keys: kept 24 h per target, written in the same transaction as their event.
  CREATE TABLE queue_idempotency (
    app        text NOT NULL,
    function   text NOT NULL,
    key        text NOT NULL,
    event_id   text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (app, function, key)
  );
  -- Pruning deletes by age alone.
  CREATE INDEX queue_idempotency_created ON queue_idempotency (created_at);
  `,
];

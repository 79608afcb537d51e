/**
 * Numbered schema migrations for the SQLite store. They live in TypeScript rather than `.sql`
 * files because tsc does not copy `.sql` into `dist/`. Entry i takes the schema from
 * `PRAGMA user_version = i` to `i + 1`. Never edit a released entry: append a new one.
 *
 * These are the store's tables only. KV, object metadata, schedule state, storage usage and
 * function metrics own their migrations (kv/sqlite-schema.ts, storage/sqlite-schema.ts,
 * triggers/schedule-state.ts, store/usage.ts, store/function-metrics.ts; bookkeeping in
 * `nimbus_migrations`). Their parts of 0002, 0003, 0004 and 0010 were emptied when they moved, the
 * one exception to "never edit", and a safe one: the list is positional, so a database past those
 * versions already has the tables (each adapter's first migration adopts them with IF NOT EXISTS
 * and today's definitions), and one below them gets them from the adapters instead.
 */
import type Database from 'better-sqlite3';
import { NimbusError } from '../shared/errors.js';

export const MIGRATIONS: readonly string[] = [
  // 0001 init. Control-plane tables are STRICT so a wrong type is a loud bug. The telemetry
  // tables (invocations, logs) are not: a fractional ms must not make a whole batch of records
  // fail on the hot path, so they keep SQLite's lenient affinity.
  `
  CREATE TABLE apps (
    name       TEXT NOT NULL PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;

  -- Content-addressed: identical bundles are stored once; rows no version references are
  -- garbage-collected when functions or apps are deleted.
  CREATE TABLE code (
    code_hash TEXT NOT NULL PRIMARY KEY,
    code      TEXT NOT NULL
  ) STRICT;

  CREATE TABLE functions (
    app            TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    active_version INTEGER NOT NULL,
    latest_version INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (app, name)
  ) STRICT;

  CREATE TABLE versions (
    app        TEXT NOT NULL,
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    code_hash  TEXT NOT NULL REFERENCES code(code_hash),
    code_size  INTEGER NOT NULL,
    config     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app, name, version),
    FOREIGN KEY (app, name) REFERENCES functions(app, name) ON DELETE CASCADE
  ) STRICT;
  -- Serves the code garbage collection and the foreign key check when a code row is deleted.
  CREATE INDEX versions_code_hash ON versions(code_hash);

  CREATE TABLE invocations (
    id            TEXT NOT NULL PRIMARY KEY,
    app           TEXT NOT NULL,
    function      TEXT NOT NULL,
    version       INTEGER NOT NULL,
    trigger       TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    duration_ms   REAL NOT NULL,
    billed_ms     INTEGER NOT NULL,
    memory_mb     INTEGER NOT NULL,
    max_memory_mb REAL,
    cold_start    INTEGER NOT NULL,
    init_ms       REAL,
    status        TEXT NOT NULL,
    error_code    TEXT,
    error_message TEXT,
    http_status   INTEGER
  );
  CREATE INDEX invocations_app_function_started ON invocations(app, function, started_at);
  -- Retention deletes by time alone; without this, pruning scans the table and blocks the loop.
  CREATE INDEX invocations_started ON invocations(started_at);

  -- AUTOINCREMENT so a seq is never reused, even after pruning deleted the newest lines:
  -- a follower's afterSeq cursor must never skip lines.
  CREATE TABLE logs (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    invocation_id TEXT,
    app           TEXT NOT NULL,
    function      TEXT NOT NULL,
    version       INTEGER NOT NULL,
    ts            INTEGER NOT NULL,
    stream        TEXT NOT NULL,
    line          TEXT NOT NULL
  );
  CREATE INDEX logs_app_function_seq ON logs(app, function, seq);
  CREATE INDEX logs_invocation ON logs(invocation_id);
  CREATE INDEX logs_ts ON logs(ts);
  `,
  // 0002 (moved) schedule_state → triggers/schedule-state.ts; objects, bucket_outbox → storage/sqlite-schema.ts.
  `
  -- moved to the adapters' own migrations
  `,
  // 0003 (moved) kv → kv/sqlite-schema.ts.
  `
  -- moved to the adapters' own migrations
  `,
  // 0004 bounded log reads. logs_invocation_seq: one invocation's lines in seq order straight from
  // the index (the old index on invocation_id alone made a page of a chatty invocation sort all its
  // lines first). (moved) storage_usage → store/usage.ts, filled by KV and object storage.
  `
  CREATE INDEX logs_invocation_seq ON logs(invocation_id, seq);
  DROP INDEX logs_invocation;
  `,
  // 0005 API keys and the audit trail (issue 9). api_keys.hash: HMAC-SHA-256 of the key under the
  // server's secret (key-hmac.secret), never the key; a name is unique among live keys only, so a
  // revoked name can be reused. apps: JSON array, [] = every app. audit: one row per mutating
  // control-API call, ok or refused; never bodies or secret values.
  `
  CREATE TABLE api_keys (
    id           TEXT NOT NULL PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    scope        TEXT NOT NULL,
    apps         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    secret_kind  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER
  ) STRICT;
  CREATE UNIQUE INDEX api_keys_live_name ON api_keys(name) WHERE revoked_at IS NULL;
  CREATE TABLE audit (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    ts       INTEGER NOT NULL,
    key_id   TEXT NOT NULL,
    key_name TEXT NOT NULL,
    action   TEXT NOT NULL,
    app      TEXT,
    target   TEXT,
    outcome  TEXT NOT NULL
  ) STRICT;
  CREATE INDEX audit_ts ON audit(ts);
  CREATE INDEX audit_app_ts ON audit(app, ts);
  `,
  // 0006 Per-minute invocation rollups (issue 10, rollups.ts), written in the records' transaction;
  // h0..h15 count durations per HISTOGRAM_BOUNDS bucket. Keyed by minute first: charts and usage
  // read a time range. mb_billed_ms = Σ memory MB × billed ms (GB-seconds without rounding).
  `
  CREATE TABLE invocation_rollups (
    minute          INTEGER NOT NULL,
    app             TEXT NOT NULL,
    function        TEXT NOT NULL,
    invocations     INTEGER NOT NULL,
    errors          INTEGER NOT NULL,
    throttles       INTEGER NOT NULL,
    cold_starts     INTEGER NOT NULL,
    duration_ms     REAL NOT NULL,
    billed_ms       INTEGER NOT NULL,
    mb_billed_ms    INTEGER NOT NULL,
    max_duration_ms REAL NOT NULL,
    ${Array.from({ length: 16 }, (_, i) => `h${i} INTEGER NOT NULL`).join(',\n    ')},
    PRIMARY KEY (minute, app, function)
  ) STRICT, WITHOUT ROWID;
  `,
  // 0007 tracing (issue 10): the W3C trace id of each invocation, so a record leads to its trace.
  // NULL for invocations recorded before, or when neither the node nor the caller traced.
  `
  ALTER TABLE invocations ADD COLUMN trace_id TEXT;
  `,
  // 0008 aliases and canary deploys (issue 12). An alias points at a version of a function, with an
  // optional second version taking weighted_weight % of its traffic; it goes with its function.
  // canaries: the latest canary deploy of each app (its functions and counts as JSON, written when
  // it starts and ends), so a restarted node resumes or finalizes a running one.
  `
  CREATE TABLE aliases (
    app              TEXT NOT NULL,
    function         TEXT NOT NULL,
    name             TEXT NOT NULL,
    version          INTEGER NOT NULL,
    weighted_version INTEGER,
    weighted_weight  INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (app, function, name),
    FOREIGN KEY (app, function) REFERENCES functions(app, name) ON DELETE CASCADE
  ) STRICT;
  CREATE TABLE canaries (
    app             TEXT NOT NULL PRIMARY KEY REFERENCES apps(name) ON DELETE CASCADE,
    state           TEXT NOT NULL,
    weight          INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    max_error_rate  REAL NOT NULL,
    functions       TEXT NOT NULL,
    reason          TEXT,
    finished_at     INTEGER
  ) STRICT;
  `,
  // 0009 AWS credentials on API keys (issue 12, the Lambda Invoke API): the access key id a SigV4
  // request names (unique where set), and the secret access key sealed under the master key (JSON
  // of secrets/crypto.ts Sealed: the server must recompute signatures, so a hash would not do).
  // NULL for bearer-only keys.
  `
  ALTER TABLE api_keys ADD COLUMN aws_access_key_id TEXT;
  ALTER TABLE api_keys ADD COLUMN aws_sealed_secret TEXT;
  CREATE UNIQUE INDEX api_keys_aws_access_key ON api_keys(aws_access_key_id) WHERE aws_access_key_id IS NOT NULL;
  `,
  // 0010 (moved) function_metrics → store/function-metrics.ts.
  `
  -- moved to the adapters' own migrations
  `,
  // 0011 response streaming (issue 13): the body bytes an HTTP invocation sent (a streamed one
  // counts what it streamed, up to a cut). NULL for non-HTTP invocations and older records.
  `
  ALTER TABLE invocations ADD COLUMN response_bytes INTEGER;
  `,
  // 0012 clusters (issue 11): the node that ran an invocation (`--node-id`); NULL on a single node.
  `
  ALTER TABLE invocations ADD COLUMN node TEXT;
  `,
];

/**
 * Bring the database up to the newest schema (or `target`, for tests of upgrades); returns the schema version. One IMMEDIATE
 * transaction, so two processes opening the same file cannot both migrate, and a failed
 * migration leaves the previous schema (user_version is rolled back with it).
 */
export function migrate(db: Database.Database, target = MIGRATIONS.length): number {
  const run = db.transaction((): number => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new NimbusError(
        'INTERNAL',
        `the state database is at schema version ${current} but this Nimbus knows only ${MIGRATIONS.length}: ` + 'upgrade Nimbus or point it at another data directory',
      );
    }
    if (current >= target) return current;
    for (const sql of MIGRATIONS.slice(current, target)) db.exec(sql);
    db.pragma(`user_version = ${target}`);
    return target;
  });
  return run.immediate();
}

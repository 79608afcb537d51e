/**
 * Test fixture: the store's migration list exactly as released before each adapter owned its
 * schema (commit 6f0383f, user_version 12), when it also created the tables of KV (0003), objects
 * and schedule state (0002), storage usage (0004) and function metrics (0010). Upgrade tests build
 * a data dir with it, then open it with today's adapters. Frozen: never edit.
 */
import type Database from 'better-sqlite3';

export const LEGACY_MIGRATIONS: readonly string[] = [
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
  // 0002 triggers and object storage (src/triggers, src/storage). schedule_state: per schedule,
  // every slot at or before handled_until was fired or deliberately skipped, so a restart never
  // fires a slot twice. objects: bucket metadata; the bytes live in <data-dir>/buckets/<bucket>/<file>.
  // Rows belong to the app that owned the bucket when they were written, so an app that names a
  // bucket after its previous owner was deleted starts empty instead of reading the other's data.
  // bucket_outbox: bucket events committed with the object's row, moved to the queue after commit.
  `
  CREATE TABLE schedule_state (
    key           TEXT NOT NULL PRIMARY KEY,
    handled_until INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE objects (
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
  CREATE INDEX objects_bucket ON objects(bucket);

  CREATE TABLE bucket_outbox (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL
  ) STRICT;
  `,
  // 0003 KV namespaces for bindings (src/kv). expires_at: epoch ms, NULL = never; an expired row
  // is invisible at once and deleted by the periodic sweep (the partial index serves it). A rowid
  // table, not WITHOUT ROWID: values run up to 1 MB, which SQLite advises keeping out of the b-tree key.
  `
  CREATE TABLE kv (
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (namespace, key)
  ) STRICT;
  CREATE INDEX kv_expires ON kv(expires_at) WHERE expires_at IS NOT NULL;
  `,
  // 0004 per-app storage quotas (issue 8) and bounded log reads. storage_usage: bytes each app
  // stores, per kind ('kv': key + value bytes; 'bucket': object sizes), kept as a running total
  // updated in the same transaction as every write, so a quota check never sums a table. Filled
  // from the data already stored. KV namespaces are '<app>/<name>' (see runtime/bindings.ts).
  // logs_invocation_seq: one invocation's lines in seq order straight from the index (the old
  // index on invocation_id alone made a page of a chatty invocation sort all its lines first).
  `
  CREATE TABLE storage_usage (
    app   TEXT NOT NULL,
    kind  TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (app, kind)
  ) STRICT;
  INSERT INTO storage_usage (app, kind, bytes)
    SELECT app, 'bucket', sum(size) FROM objects GROUP BY app;
  INSERT INTO storage_usage (app, kind, bytes)
    SELECT CASE WHEN instr(namespace, '/') > 0 THEN substr(namespace, 1, instr(namespace, '/') - 1) ELSE namespace END AS owner, 'kv',
      sum(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB)))
    FROM kv GROUP BY owner;
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
  // 0010 function metrics (issue 12): the values functions print in CloudWatch Embedded Metric
  // Format (telemetry/emf.ts), one row per value, kept as long as invocation records. Lenient
  // affinity as the other telemetry tables. dimensions: JSON object of the line's dimension values.
  `
  CREATE TABLE function_metrics (
    app           TEXT NOT NULL,
    function      TEXT NOT NULL,
    version       INTEGER NOT NULL,
    invocation_id TEXT,
    ts            INTEGER NOT NULL,
    namespace     TEXT NOT NULL,
    name          TEXT NOT NULL,
    unit          TEXT NOT NULL,
    value         REAL NOT NULL,
    dimensions    TEXT NOT NULL
  );
  CREATE INDEX function_metrics_name_ts ON function_metrics(app, function, name, ts);
  CREATE INDEX function_metrics_ts ON function_metrics(ts);
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

/** Bring `db` to legacy schema version `target` (default: all 12), as the old `migrate` did. */
export function buildLegacyDatabase(db: Database.Database, target = LEGACY_MIGRATIONS.length): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  db.transaction(() => {
    for (const sql of LEGACY_MIGRATIONS.slice(current, target)) db.exec(sql);
    db.pragma(`user_version = ${target}`);
  })();
}

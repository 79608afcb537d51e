/**
 * The PostgreSQL schema of the Store (component 'store' in nimbus_migrations), translated from the
 * SQLite migrations (../migrations.ts) into one first migration. Append, never edit.
 *
 * - Names (apps, functions) are `COLLATE "C"`, so listings sort bytewise, as on SQLite.
 * - Bundles are content-addressed `bytea` rows, written once per code hash.
 * - invocations and logs are RANGE-partitioned by day on their epoch-ms column (partitions.ts
 *   creates them on demand and retention drops them whole). A partitioned table's primary key must
 *   hold the partition key, so `invocations` is keyed (id, started_at) and the store keeps one row
 *   per id itself (telemetry.ts); `ins` breaks ties between equal start times (newest insert
 *   first), as SQLite's rowid does. Log seqs come from one sequence, so they order lines written by
 *   every node and are never reused after pruning.
 * - Epoch ms and counts are bigint; durations and byte products double precision, so a fractional
 *   value never fails a batch.
 */

/** Components' advisory locks use the two-int4 form (class, key), apart from migratePg's bigint key. */
export const LOCK = {
  /** (class, hashtext(app)): one deploy / delete of an app at a time, cluster-wide. */
  app: 724_031,
  /** (class, 0): shared by deploys, exclusive for the code garbage collection. */
  codeGc: 724_032,
  /** (class, hashtext(id)): one writer of an invocation id at a time (attempts on two nodes). */
  invocation: 724_033,
  /** (class, 0): partition creation and retention. */
  partitions: 724_034,
  /** (class, 0): one log append at a time, so lines commit in seq order (a follower's cursor skips none). */
  logs: 724_035,
} as const;

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE apps (
    name       text COLLATE "C" NOT NULL PRIMARY KEY,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
  );
  CREATE TABLE code (
    code_hash text NOT NULL PRIMARY KEY,
    code      bytea NOT NULL
  );
  CREATE TABLE functions (
    app            text COLLATE "C" NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
    name           text COLLATE "C" NOT NULL,
    active_version integer NOT NULL,
    latest_version integer NOT NULL,
    created_at     bigint NOT NULL,
    updated_at     bigint NOT NULL,
    PRIMARY KEY (app, name)
  );
  CREATE TABLE versions (
    app        text COLLATE "C" NOT NULL,
    name       text COLLATE "C" NOT NULL,
    version    integer NOT NULL,
    hash       text NOT NULL,
    code_hash  text NOT NULL REFERENCES code(code_hash),
    code_size  bigint NOT NULL,
    config     text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (app, name, version),
    FOREIGN KEY (app, name) REFERENCES functions(app, name) ON DELETE CASCADE
  );
  CREATE INDEX versions_code_hash ON versions(code_hash);

  -- node: the cluster node that ran the invocation (--node-id).
  CREATE SEQUENCE invocations_ins;
  CREATE TABLE invocations (
    id             text NOT NULL,
    app            text COLLATE "C" NOT NULL,
    function       text COLLATE "C" NOT NULL,
    version        integer NOT NULL,
    trigger        text NOT NULL,
    started_at     bigint NOT NULL,
    duration_ms    double precision NOT NULL,
    billed_ms      double precision NOT NULL,
    memory_mb      double precision NOT NULL,
    max_memory_mb  double precision,
    cold_start     boolean NOT NULL,
    init_ms        double precision,
    status         text NOT NULL,
    error_code     text,
    error_message  text,
    http_status    integer,
    trace_id       text,
    response_bytes bigint,
    node           text,
    ins            bigint NOT NULL DEFAULT nextval('invocations_ins'),
    PRIMARY KEY (id, started_at)
  ) PARTITION BY RANGE (started_at);
  CREATE INDEX invocations_id ON invocations(id);
  CREATE INDEX invocations_app_function_started ON invocations(app, function, started_at, ins);

  CREATE SEQUENCE logs_seq;
  CREATE TABLE logs (
    seq           bigint NOT NULL DEFAULT nextval('logs_seq'),
    invocation_id text,
    app           text COLLATE "C" NOT NULL,
    function      text COLLATE "C" NOT NULL,
    version       integer NOT NULL,
    ts            bigint NOT NULL,
    stream        text NOT NULL,
    line          text NOT NULL,
    PRIMARY KEY (seq, ts)
  ) PARTITION BY RANGE (ts);
  CREATE INDEX logs_app_function_seq ON logs(app, function, seq);
  CREATE INDEX logs_invocation_seq ON logs(invocation_id, seq);

  CREATE TABLE invocation_rollups (
    minute          bigint NOT NULL,
    app             text COLLATE "C" NOT NULL,
    function        text COLLATE "C" NOT NULL,
    invocations     bigint NOT NULL,
    errors          bigint NOT NULL,
    throttles       bigint NOT NULL,
    cold_starts     bigint NOT NULL,
    duration_ms     double precision NOT NULL,
    billed_ms       double precision NOT NULL,
    mb_billed_ms    double precision NOT NULL,
    max_duration_ms double precision NOT NULL,
    ${Array.from({ length: 16 }, (_, i) => `h${i} bigint NOT NULL`).join(',\n    ')},
    PRIMARY KEY (minute, app, function)
  );

  CREATE TABLE api_keys (
    id                text NOT NULL PRIMARY KEY,
    name              text NOT NULL,
    prefix            text NOT NULL,
    scope             text NOT NULL,
    apps              text NOT NULL,
    hash              text NOT NULL UNIQUE,
    secret_kind       text NOT NULL,
    created_at        bigint NOT NULL,
    expires_at        bigint,
    revoked_at        bigint,
    last_used_at      bigint,
    aws_access_key_id text,
    aws_sealed_secret text,
    ins               bigint GENERATED ALWAYS AS IDENTITY
  );
  CREATE UNIQUE INDEX api_keys_live_name ON api_keys(name) WHERE revoked_at IS NULL;
  CREATE UNIQUE INDEX api_keys_aws_access_key ON api_keys(aws_access_key_id) WHERE aws_access_key_id IS NOT NULL;
  CREATE TABLE audit (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts       bigint NOT NULL,
    key_id   text NOT NULL,
    key_name text NOT NULL,
    action   text NOT NULL,
    app      text,
    target   text,
    outcome  text NOT NULL
  );
  CREATE INDEX audit_ts ON audit(ts);
  CREATE INDEX audit_app_ts ON audit(app, ts);

  CREATE TABLE aliases (
    app              text COLLATE "C" NOT NULL,
    function         text COLLATE "C" NOT NULL,
    name             text COLLATE "C" NOT NULL,
    version          integer NOT NULL,
    weighted_version integer,
    weighted_weight  integer,
    created_at       bigint NOT NULL,
    updated_at       bigint NOT NULL,
    PRIMARY KEY (app, function, name),
    FOREIGN KEY (app, function) REFERENCES functions(app, name) ON DELETE CASCADE
  );
  CREATE TABLE canaries (
    app            text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES apps(name) ON DELETE CASCADE,
    state          text NOT NULL,
    weight         integer NOT NULL,
    started_at     bigint NOT NULL,
    ends_at        bigint NOT NULL,
    max_error_rate double precision NOT NULL,
    functions      text NOT NULL,
    reason         text,
    finished_at    bigint
  );
  `,
];

/** Every table of the store, for tests that empty it between cases. */
export const STORE_TABLES = ['aliases', 'canaries', 'versions', 'functions', 'apps', 'code', 'invocations', 'logs', 'invocation_rollups', 'api_keys', 'audit'] as const;

/**
 * KvStore on PostgreSQL, for nodes sharing one database. Keys and values are `bytea` (their
 * UTF-8 bytes), not `text`: PostgreSQL text cannot hold U+0000, which a key or value may contain,
 * and bytea compares bytewise, which is exactly the UTF-8 byte order listing promises.
 *
 * Usage per app is a running total in `kv_usage`, changed in the same transaction as the data.
 * Every write of an app first locks that app's usage row, then touches `kv` rows: one lock order
 * for put, delete, drop and sweep, so writes from N nodes serialise per app (the quota check and
 * the old size a put replaces are read under the lock, hence exact) and never deadlock.
 */
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { migratePg, withTransaction, type PgClient, type PgPool } from '../pg/index.js';
import { DEFAULT_KV_QUOTA_BYTES, ownerOf, quotaExceeded } from '../store/usage.js';
import { decodeCursor, encodeCursor, expiresAt, listLimit } from './cursor.js';
import type { KvListResult, KvStore } from './port.js';

/** Entry i is migration i + 1 of component 'kv'. Append, never edit. */
export const KV_PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE kv (
    namespace  text COLLATE "C" NOT NULL,
    key        bytea NOT NULL,
    value      bytea NOT NULL,
    expires_at bigint,
    PRIMARY KEY (namespace, key)
  );
  CREATE INDEX kv_expires ON kv (expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE kv_usage (
    app   text COLLATE "C" NOT NULL PRIMARY KEY,
    bytes bigint NOT NULL
  );
  `,
];

export interface PgKvStoreOptions {
  /** The node's shared pool (never ended here). */
  pool: PgPool;
  clock?: Clock;
  /** How often expired values are deleted, ms; 0 = never (call `sweep()`). Default 60 s. */
  sweepMs?: number;
  /** Bytes (keys + values) each app may store. Default 100 MB. */
  quotaBytes?: number;
  log?: (line: string) => void;
}

/** Rows deleted per sweep transaction. */
const SWEEP_BATCH = 1000;
/** Above every UTF-8 byte sequence that starts with a given prefix (UTF-8 never contains 0xFF). */
const AFTER_PREFIX = Buffer.from([0xff]);
const ROW_BYTES = 'octet_length(key) + octet_length(value)';
const LIVE = '(expires_at IS NULL OR expires_at > $3)';

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

export class PgKvStore implements KvStore {
  private readonly timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  private constructor(
    private readonly pool: PgPool,
    private readonly clock: Clock,
    private readonly quota: number,
    sweepMs: number,
    private readonly log: (line: string) => void,
  ) {
    if (sweepMs > 0) {
      this.timer = setInterval(() => void this.backgroundSweep(), sweepMs);
      this.timer.unref();
    }
  }

  static async open(options: PgKvStoreOptions): Promise<PgKvStore> {
    await migratePg(options.pool, 'kv', KV_PG_MIGRATIONS);
    return new PgKvStore(options.pool, options.clock ?? systemClock, options.quotaBytes ?? DEFAULT_KV_QUOTA_BYTES, options.sweepMs ?? 60_000, options.log ?? (() => {}));
  }

  async get(namespace: string, key: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ value: Buffer }>(`SELECT value FROM kv WHERE namespace = $1 AND key = $2 AND ${LIVE}`, [namespace, utf8(key), this.clock.now()]);
    return rows[0] ? rows[0].value.toString('utf8') : null;
  }

  async put(namespace: string, key: string, value: string, options: { ttlSeconds?: number } = {}): Promise<void> {
    const app = ownerOf(namespace);
    const k = utf8(key);
    const v = utf8(value);
    const expires = expiresAt(this.clock.now(), options.ttlSeconds);
    await withTransaction(this.pool, async (c) => {
      const used = await lockOrCreateUsage(c, app);
      const old = (await c.query<{ n: number }>(`SELECT ${ROW_BYTES} AS n FROM kv WHERE namespace = $1 AND key = $2`, [namespace, k])).rows[0]?.n ?? 0;
      const delta = k.length + v.length - old;
      // A write that shrinks usage is always allowed, even over a lowered quota, so an app can clean up.
      if (delta > 0 && used + delta > this.quota) throw quotaExceeded('kv', app, used, delta, this.quota);
      await c.query(
        `INSERT INTO kv (namespace, key, value, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
        [namespace, k, v, expires],
      );
      if (delta !== 0) await c.query('UPDATE kv_usage SET bytes = greatest(0, bytes + $2) WHERE app = $1', [app, delta]);
    });
  }

  async delete(namespace: string, key: string): Promise<void> {
    await withTransaction(this.pool, async (c) => {
      if (!(await lockUsage(c, ownerOf(namespace)))) return;
      const { rows } = await c.query<{ n: number }>(`DELETE FROM kv WHERE namespace = $1 AND key = $2 RETURNING ${ROW_BYTES} AS n`, [namespace, utf8(key)]);
      if (rows[0]) await c.query('UPDATE kv_usage SET bytes = greatest(0, bytes - $2) WHERE app = $1', [ownerOf(namespace), rows[0].n]);
    });
  }

  async usage(app: string): Promise<number> {
    const { rows } = await this.pool.query<{ bytes: number }>('SELECT bytes FROM kv_usage WHERE app = $1', [app]);
    return rows[0]?.bytes ?? 0;
  }

  async list(namespace: string, options: { prefix?: string; cursor?: string; limit?: number } = {}): Promise<KvListResult> {
    const prefix = utf8(options.prefix ?? '');
    const limit = listLimit(options.limit);
    const { rows } = await this.pool.query<{ key: Buffer; expires_at: number | null }>(
      `SELECT key, expires_at FROM kv WHERE namespace = $1 AND key > $2 AND ${LIVE} AND key >= $4 AND key < $5
       ORDER BY key LIMIT $6`,
      [namespace, utf8(decodeCursor(options.cursor)), this.clock.now(), prefix, Buffer.concat([prefix, AFTER_PREFIX]), limit + 1],
    );
    const page = rows.slice(0, limit).map((r) => ({ name: r.key.toString('utf8'), expiration: r.expires_at }));
    const last = page.at(-1);
    return { keys: page, cursor: rows.length > limit && last ? encodeCursor(last.name) : null };
  }

  async deleteNamespace(namespace: string): Promise<number> {
    return withTransaction(this.pool, async (c) => {
      const app = ownerOf(namespace);
      if (!(await lockUsage(c, app))) return 0;
      const { rows } = await c.query<{ bytes: number; live: number }>(
        `WITH d AS (DELETE FROM kv WHERE namespace = $1 RETURNING ${ROW_BYTES} AS n, expires_at)
         SELECT coalesce(sum(n), 0)::bigint AS bytes, (count(*) FILTER (WHERE expires_at IS NULL OR expires_at > $2))::int AS live FROM d`,
        [namespace, this.clock.now()],
      );
      const { bytes, live } = rows[0]!;
      if (bytes > 0) await c.query('UPDATE kv_usage SET bytes = greatest(0, bytes - $2) WHERE app = $1', [app, bytes]);
      return live;
    });
  }

  /** Delete expired values, a batch at a time; returns how many. */
  async sweep(maxBatches = 10): Promise<number> {
    let deleted = 0;
    for (let i = 0; i < maxBatches; i++) {
      const n = await this.sweepBatch(this.clock.now());
      deleted += n;
      if (n < SWEEP_BATCH) break;
    }
    return deleted;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }

  /**
   * One batch: lock the usage rows of the apps owning expired rows (sorted, so two sweeping nodes
   * take them in the same order), then delete only rows of those apps: a row of another app that
   * expired meanwhile (clocks of nodes differ) waits for the next batch.
   */
  private async sweepBatch(now: number): Promise<number> {
    return withTransaction(this.pool, async (c) => {
      const locked = await c.query<{ app: string }>(
        `SELECT app FROM kv_usage WHERE app IN (SELECT DISTINCT split_part(namespace, '/', 1) FROM
           (SELECT namespace FROM kv WHERE expires_at <= $1 LIMIT ${SWEEP_BATCH}) e) ORDER BY app FOR UPDATE`,
        [now],
      );
      const apps = locked.rows.map((r) => r.app);
      if (apps.length === 0) return 0;
      const { rows } = await c.query<{ app: string; bytes: number; n: number }>(
        `WITH d AS (DELETE FROM kv WHERE ctid IN (SELECT ctid FROM kv WHERE expires_at <= $1 AND split_part(namespace, '/', 1) = ANY($2) LIMIT ${SWEEP_BATCH})
           RETURNING split_part(namespace, '/', 1) AS app, ${ROW_BYTES} AS n)
         SELECT app, sum(n)::bigint AS bytes, count(*)::int AS n FROM d GROUP BY app`,
        [now, apps],
      );
      let n = 0;
      for (const r of rows) {
        n += r.n;
        await c.query('UPDATE kv_usage SET bytes = greatest(0, bytes - $2) WHERE app = $1', [r.app, r.bytes]);
      }
      return n;
    });
  }

  private async backgroundSweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.sweep();
    } catch (err) {
      this.log(`kv: sweep failed: ${(err as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }
}

/** Lock `app`'s usage row, creating it on the app's first put; returns its bytes. */
async function lockOrCreateUsage(c: PgClient, app: string): Promise<number> {
  const lock = 'SELECT bytes FROM kv_usage WHERE app = $1 FOR UPDATE';
  const found = (await c.query<{ bytes: number }>(lock, [app])).rows[0];
  if (found) return found.bytes;
  // Two first puts at once: one inserts, the other finds the row and waits for its lock below.
  await c.query('INSERT INTO kv_usage (app, bytes) VALUES ($1, 0) ON CONFLICT (app) DO NOTHING', [app]);
  return (await c.query<{ bytes: number }>(lock, [app])).rows[0]!.bytes;
}

/** Lock `app`'s usage row; false when it has none (then it has no rows either). */
async function lockUsage(c: PgClient, app: string): Promise<boolean> {
  const { rowCount } = await c.query('SELECT 1 FROM kv_usage WHERE app = $1 FOR UPDATE', [app]);
  return (rowCount ?? 0) > 0;
}

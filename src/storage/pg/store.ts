/**
 * Built-in buckets on PostgreSQL (issue 11): every node of a cluster sees the same objects.
 *
 * A put: the body streams into `bucket_chunks` under a fresh blob id, then, in the SAME
 * transaction: the app's usage row is locked and charged (QUOTA_EXCEEDED rolls everything back,
 * chunks included), the object row is switched to the new blob, the replaced blob goes to
 * `bucket_garbage`, and the bucket events go to `bucket_outbox`. After the commit the outbox moves
 * to the queue (outbox.ts). A delete: one transaction (usage, row, garbage, events). A read gets
 * the row (and a small object's bytes) in one statement, then fetches further chunks one query
 * each; the blob it reads outlives a replace by `gcGraceMs`, after which a timer deletes it.
 * Lock order in every write: usage row, then object row(s): no deadlocks between writers.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { migratePg, withTransaction, type PgClient, type PgPool } from '../../pg/index.js';
import type { NewEvent } from '../../queue/port.js';
import { type Clock, systemClock } from '../../shared/clock.js';
import { NimbusError } from '../../shared/errors.js';
import { DEFAULT_BUCKET_QUOTA_BYTES, quotaExceeded } from '../../store/usage.js';
import { BUCKET_NAME, bucketEvents, checkKey, decodeCursor, encodeCursor, listLimit, mustBucket, upperBound } from '../common.js';
import { slices } from '../files.js';
import { MAX_OBJECT_BYTES, type BucketStore, type BucketStoreDeps, type ObjectInfo, type ObjectList, type WriteCause } from '../port.js';
import { CHUNK_BYTES, ChunkStream, collectGarbage, writeChunks } from './chunks.js';
import { DEFAULT_OUTBOX_SWEEP_MS, PgOutbox } from './outbox.js';
import { OBJECT_MIGRATIONS } from './schema.js';

export interface PgObjectStoreOptions extends BucketStoreDeps {
  /** The node's shared pool; never ended by the store. */
  pool: PgPool;
  /** How often to move outbox rows a dead node left behind and collect garbage (default 5 s; 0: never, tests). */
  sweepMs?: number;
  /** How long a replaced or deleted object's bytes stay readable for downloads under way (default 15 min). */
  gcGraceMs?: number;
}

interface Row {
  app: string;
  bucket: string;
  key: string;
  blob: string;
  size: number;
  etag: string;
  content_type: string;
  uploaded_at: number;
}

const COLUMNS = 'app, bucket, key, blob, size, etag, content_type, uploaded_at';
/** Long enough for a 64 MB download at ~75 kB/s. */
const DEFAULT_GC_GRACE_MS = 15 * 60_000;
/** How long an upload's bytes may take to arrive before its blob counts as abandoned. */
const UPLOAD_GRACE_MS = 60 * 60_000;
const GC_PAGE = 100;

export class PgObjectStore implements BucketStore {
  private readonly pool: PgPool;
  private readonly quota: number;
  private readonly clock: Clock;
  private readonly outbox: PgOutbox;
  private readonly grace: number;
  private readonly gcTimer: NodeJS.Timeout | undefined;

  /** Create or upgrade the tables (also done by `open`). */
  static async migrate(pool: PgPool): Promise<void> {
    await migratePg(pool, 'objects', OBJECT_MIGRATIONS);
  }

  /** Migrate, then start moving outbox rows (this node's and any left by a dead node) to the queue. */
  static async open(o: PgObjectStoreOptions): Promise<PgObjectStore> {
    await PgObjectStore.migrate(o.pool);
    const store = new PgObjectStore(o);
    store.outbox.kick();
    return store;
  }

  private constructor(private readonly o: PgObjectStoreOptions) {
    this.pool = o.pool;
    this.quota = o.quotaBytes ?? DEFAULT_BUCKET_QUOTA_BYTES;
    this.clock = o.clock ?? systemClock;
    const sweepMs = o.sweepMs ?? DEFAULT_OUTBOX_SWEEP_MS;
    this.grace = o.gcGraceMs ?? DEFAULT_GC_GRACE_MS;
    this.outbox = new PgOutbox({ pool: o.pool, queue: o.queue, log: o.log, sweepMs });
    if (sweepMs > 0)
      this.gcTimer = setInterval(() => {
        this.collectGarbage().catch((err: unknown) => o.log?.(`buckets: collecting replaced objects' bytes failed: ${(err as Error).message}`));
      }, sweepMs).unref();
  }

  async put(bucket: string, key: string, body: Buffer, contentType = 'application/octet-stream', cause: WriteCause = {}): Promise<ObjectInfo> {
    return this.putStream(bucket, key, slices(body), contentType, body.length, cause);
  }

  /** Store (replace) an object whose bytes arrive as a stream, inserted 1 MB at a time, then switched to in one short transaction. */
  async putStream(bucket: string, key: string, body: AsyncIterable<Uint8Array>, contentType = 'application/octet-stream', declaredSize?: number, cause: WriteCause = {}): Promise<ObjectInfo> {
    const entry = mustBucket(this.o.buckets, bucket);
    checkKey(key);
    if (declaredSize !== undefined) {
      if (declaredSize > MAX_OBJECT_BYTES) throw new NimbusError('VALUE_TOO_LARGE', `an object is at most ${MAX_OBJECT_BYTES / 1024 / 1024} MB; this one is ${declaredSize} bytes`);
      await this.checkQuota(entry.app, bucket, key, declaredSize);
    }
    // The bytes go in before the write's transaction, one statement per 1 MB, so a slow upload holds
    // no pool connection while its body arrives. Until the transaction claims it the blob is garbage
    // (collected UPLOAD_GRACE_MS later), so an upload cut off half-way leaves nothing for long.
    const blob = randomUUID();
    await this.pool.query('INSERT INTO bucket_garbage (blob, collect_after) VALUES ($1, $2)', [blob, this.clock.now() + UPLOAD_GRACE_MS]);
    let obj: Row;
    try {
      const { size, etag } = await writeChunks(this.pool, blob, body, MAX_OBJECT_BYTES);
      obj = await withTransaction(this.pool, async (c) => {
        const claimed = await c.query('DELETE FROM bucket_garbage WHERE blob = $1', [blob]);
        if (claimed.rowCount !== 1)
          throw new NimbusError('REQUEST_TIMEOUT', `the upload of "${key}" took longer than ${UPLOAD_GRACE_MS / 60_000} minutes and its bytes were collected; upload it again`);
        const used = await lockOrCreateUsage(c, entry.app);
        const old = await selectRow(c, entry.app, bucket, key, true);
        const growth = size - (old?.size ?? 0);
        if (growth > 0 && used + growth > this.quota) throw quotaExceeded('bucket', entry.app, used, growth, this.quota);
        const now = this.clock.now();
        const row: Row = { app: entry.app, bucket, key, blob, size, etag, content_type: contentType || 'application/octet-stream', uploaded_at: now };
        await c.query(
          `INSERT INTO bucket_objects (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (app, bucket, key) DO UPDATE SET blob = excluded.blob, size = excluded.size, etag = excluded.etag,
             content_type = excluded.content_type, uploaded_at = excluded.uploaded_at`,
          [row.app, row.bucket, row.key, row.blob, row.size, row.etag, row.content_type, row.uploaded_at],
        );
        if (old) await this.discard(c, [old.blob], now);
        await addUsage(c, entry.app, growth);
        await queueEvents(c, bucketEvents(entry.subscribers, 'created', info(row), now, cause), now);
        return row;
      });
    } catch (err) {
      // Bytes no row will point at (a cut-off body, a refused write): collected at once.
      await this.pool.query('UPDATE bucket_garbage SET collect_after = 0 WHERE blob = $1', [blob]).catch(() => undefined);
      throw err;
    }
    this.outbox.kick();
    return info(obj);
  }

  /** The bytes as a stream: a small object from one statement, a larger one chunk by chunk as the reader asks. */
  async openRead(bucket: string, key: string): Promise<{ info: ObjectInfo; body: Readable } | undefined> {
    const { app } = mustBucket(this.o.buckets, bucket);
    checkKey(key);
    const found = await this.readFirst(app, bucket, key);
    if (!found) return undefined;
    const body = found.data ? Readable.from([found.data], { objectMode: false }) : new ChunkStream(this.pool, found.row.blob, Math.ceil(found.row.size / CHUNK_BYTES));
    return { info: info(found.row), body };
  }

  async get(bucket: string, key: string): Promise<{ info: ObjectInfo; body: Buffer } | undefined> {
    const found = await this.openRead(bucket, key);
    if (!found) return undefined;
    const parts: Buffer[] = [];
    for await (const part of found.body) parts.push(part as Buffer);
    return { info: found.info, body: Buffer.concat(parts) };
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const { app } = mustBucket(this.o.buckets, bucket);
    checkKey(key);
    const row = await selectRow(this.pool, app, bucket, key, false);
    return row && info(row);
  }

  async delete(bucket: string, key: string, cause: WriteCause = {}): Promise<boolean> {
    const entry = mustBucket(this.o.buckets, bucket);
    checkKey(key);
    const gone = await withTransaction(this.pool, async (c) => {
      if (!(await lockUsage(c, entry.app))) return false;
      const { rows } = await c.query<Row>(`DELETE FROM bucket_objects WHERE app = $1 AND bucket = $2 AND key = $3 RETURNING ${COLUMNS}`, [entry.app, bucket, key]);
      const row = rows[0];
      if (!row) return false;
      const now = this.clock.now();
      await this.discard(c, [row.blob], now);
      await addUsage(c, entry.app, -row.size);
      await queueEvents(c, bucketEvents(entry.subscribers, 'deleted', info(row), now, cause), now);
      return true;
    });
    if (gone) this.outbox.kick();
    return gone;
  }

  async list(bucket: string, options: { prefix?: string; cursor?: string; limit?: number } = {}): Promise<ObjectList> {
    const { app } = mustBucket(this.o.buckets, bucket);
    const limit = listLimit(options.limit);
    const after = options.cursor ? decodeCursor(options.cursor) : '';
    const prefix = options.prefix ?? '';
    const upper = upperBound(prefix);
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM bucket_objects WHERE app = $1 AND bucket = $2 AND key >= $3 AND key > $4 ${upper === null ? '' : 'AND key < $6'}
       ORDER BY key LIMIT $5`,
      [app, bucket, prefix, after, limit + 1, ...(upper === null ? [] : [upper])],
    );
    const page = rows.slice(0, limit);
    return { objects: page.map(info), cursor: rows.length > limit ? encodeCursor(page.at(-1)!.key) : null };
  }

  /** Delete every object `app` stored in `bucket` (nobody names the bucket any more: no events). */
  async purge(app: string, bucket: string): Promise<number> {
    if (!BUCKET_NAME.test(bucket)) return 0;
    return withTransaction(this.pool, async (c) => {
      if (!(await lockUsage(c, app))) return 0;
      const { rows } = await c.query<{ blob: string; size: number }>('DELETE FROM bucket_objects WHERE app = $1 AND bucket = $2 RETURNING blob, size', [app, bucket]);
      if (rows.length === 0) return 0;
      await this.discard(
        c,
        rows.map((r) => r.blob),
        this.clock.now(),
      );
      await addUsage(c, app, -rows.reduce((sum, r) => sum + r.size, 0));
      return rows.length;
    });
  }

  async usage(app: string): Promise<number> {
    const { rows } = await this.pool.query<{ bytes: number }>('SELECT bytes FROM bucket_usage WHERE app = $1', [app]);
    return rows[0]?.bytes ?? 0;
  }

  async stats(): Promise<Map<string, { objects: number; bytes: number }>> {
    const { rows } = await this.pool.query<{ app: string; bucket: string; objects: number; bytes: number }>(
      'SELECT app, bucket, count(*)::bigint AS objects, sum(size)::bigint AS bytes FROM bucket_objects GROUP BY app, bucket',
    );
    const out = new Map<string, { objects: number; bytes: number }>();
    for (const s of rows) if (this.o.buckets.bucket(s.bucket)?.app === s.app) out.set(s.bucket, { objects: s.objects, bytes: s.bytes });
    return out;
  }

  async outboxDrained(): Promise<void> {
    await this.outbox.drained();
  }

  /** Stops the outbox timers; the pool is the backend's. */
  async close(): Promise<void> {
    clearInterval(this.gcTimer);
    await this.outbox.close();
  }

  /** The row, with the bytes when they fit in one chunk (null for a larger object), in one statement. */
  private async readFirst(app: string, bucket: string, key: string): Promise<{ row: Row; data: Buffer | null } | undefined> {
    const { rows } = await this.pool.query<Row & { data: Buffer | null }>(
      `SELECT o.app, o.bucket, o.key, o.blob, o.size, o.etag, o.content_type, o.uploaded_at, c.data
       FROM bucket_objects o LEFT JOIN bucket_chunks c ON c.blob = o.blob AND c.n = 0 AND o.size <= $4
       WHERE o.app = $1 AND o.bucket = $2 AND o.key = $3`,
      [app, bucket, key, CHUNK_BYTES],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { row, data: row.size <= CHUNK_BYTES ? (row.data ?? Buffer.alloc(0)) : null };
  }

  /** Blobs no row points to any more: collected once downloads under way have had `gcGraceMs`. */
  private async discard(c: PgClient, blobs: string[], now: number): Promise<void> {
    await c.query('INSERT INTO bucket_garbage (blob, collect_after) SELECT b, $2 FROM unnest($1::uuid[]) AS b', [blobs, now + this.grace]);
  }

  /** Delete the bytes of objects replaced or deleted longer than the grace period ago (a timer calls it); returns how many blobs. */
  async collectGarbage(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await collectGarbage(this.pool, this.clock.now(), GC_PAGE);
      total += n;
      if (n < GC_PAGE) return total;
    }
  }

  /** Refuse early (QUOTA_EXCEEDED) an object that cannot fit; the commit checks again, exactly. */
  private async checkQuota(app: string, bucket: string, key: string, size: number): Promise<void> {
    const used = await this.usage(app);
    const growth = size - ((await selectRow(this.pool, app, bucket, key, false))?.size ?? 0);
    if (growth > 0 && used + growth > this.quota) throw quotaExceeded('bucket', app, used, growth, this.quota);
  }
}

/** Lock `app`'s usage row, creating it at the app's first object; returns its bytes. Rows are not rewritten just to lock them. */
async function lockOrCreateUsage(c: PgClient, app: string): Promise<number> {
  const lock = 'SELECT bytes FROM bucket_usage WHERE app = $1 FOR UPDATE';
  const found = (await c.query<{ bytes: number }>(lock, [app])).rows[0];
  if (found) return found.bytes;
  // Two first puts at once: one inserts, the other finds the row and waits for its lock below.
  await c.query('INSERT INTO bucket_usage (app, bytes) VALUES ($1, 0) ON CONFLICT (app) DO NOTHING', [app]);
  return (await c.query<{ bytes: number }>(lock, [app])).rows[0]!.bytes;
}

/** Lock `app`'s usage row; false when it has none (then it has no objects either). */
async function lockUsage(c: PgClient, app: string): Promise<boolean> {
  const { rowCount } = await c.query('SELECT 1 FROM bucket_usage WHERE app = $1 FOR UPDATE', [app]);
  return (rowCount ?? 0) > 0;
}

async function addUsage(c: PgClient, app: string, delta: number): Promise<void> {
  if (delta !== 0) await c.query('UPDATE bucket_usage SET bytes = greatest(0, bytes + $2) WHERE app = $1', [app, delta]);
}

async function selectRow(db: PgPool | PgClient, app: string, bucket: string, key: string, forUpdate: boolean): Promise<Row | undefined> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM bucket_objects WHERE app = $1 AND bucket = $2 AND key = $3${forUpdate ? ' FOR UPDATE' : ''}`, [app, bucket, key]);
  return rows[0];
}

async function queueEvents(c: PgClient, events: NewEvent[], now: number): Promise<void> {
  if (events.length === 0) return;
  await c.query('INSERT INTO bucket_outbox (event, created_at) SELECT e, $2 FROM unnest($1::text[]) AS e', [events.map((e) => JSON.stringify(e)), now]);
}

function info(r: Row): ObjectInfo {
  return { bucket: r.bucket, key: r.key, size: r.size, etag: r.etag, contentType: r.content_type, uploadedAt: r.uploaded_at };
}

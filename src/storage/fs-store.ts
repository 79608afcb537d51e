/**
 * Built-in buckets: object bytes in files under `<dir>/<bucket>/`, metadata in SQLite.
 *
 * A put: bytes to `.tmp-<uuid>` → fsync → rename to `<uuid>` → ONE transaction: the metadata row
 * (replacing the old one) + the bucket events in `bucket_outbox` → unlink the replaced file →
 * move the outbox rows to the event queue. A delete: one transaction (row gone + events) → unlink.
 * File names are random, never derived from the key, so no key ('/', '..', unicode) can reach
 * outside the bucket's directory. A crash leaves at worst an orphan file (renamed, not committed;
 * or committed delete, not unlinked) or outbox rows: both are handled at start-up (`open`).
 * Rows are scoped to the app owning the bucket when written: a later owner of the name (after the
 * first app was deleted) sees an empty bucket, never the other app's objects.
 * Outbox rows carry an idempotency key, so moving one twice (a crash between the enqueue and the
 * outbox delete) is a no-op in the queue.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { BucketEventType, BucketTrigger, FunctionVersion } from '../domain/index.js';
import type { NewEvent } from '../queue/port.js';
import { type Clock, systemClock } from '../shared/clock.js';
import { NimbusError } from '../shared/errors.js';
import { DEFAULT_BUCKET_QUOTA_BYTES, quotaExceeded } from '../store/usage.js';
import { BUCKET_NAME, bucketEvents, checkKey, decodeCursor, encodeCursor, listLimit, mustBucket } from './common.js';
import { slices, writeTempFile } from './files.js';
import { ObjectTable, type StoredObject } from './object-table.js';
import { MAX_OBJECT_BYTES, type BucketStore, type BucketStoreDeps, type ObjectInfo, type ObjectList, type WriteCause } from './port.js';

export type { BucketDirectory } from './port.js';
export { MAX_KEY_BYTES, MAX_LIST_LIMIT, checkKey } from './common.js';

export interface FsObjectStoreOptions extends BucketStoreDeps {
  /** `<data-dir>/buckets`. */
  dir: string;
  /** A connection to the node's database (or any SQLite file: the object tables migrate themselves). Not closed by the store. */
  db: Database.Database;
}
const OUTBOX_PAGE = 500;
const RETRY_MS = 1000;

export class FsObjectStore implements BucketStore {
  private readonly table: ObjectTable;
  private readonly quota: number;
  private readonly clock: Clock;
  private draining: Promise<void> | null = null;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  /** Open the store: sweep orphan and temporary files, then move outbox leftovers to the queue. */
  static open(o: FsObjectStoreOptions): FsObjectStore {
    const store = new FsObjectStore(o);
    store.sweep();
    store.kick();
    return store;
  }

  private constructor(private readonly o: FsObjectStoreOptions) {
    this.quota = o.quotaBytes ?? DEFAULT_BUCKET_QUOTA_BYTES;
    this.table = new ObjectTable(o.db, this.quota);
    this.clock = o.clock ?? systemClock;
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  }

  async put(bucket: string, key: string, body: Buffer, contentType = 'application/octet-stream', cause: WriteCause = {}): Promise<ObjectInfo> {
    return this.putStream(bucket, key, slices(body), contentType, body.length, cause);
  }

  /**
   * Store (replace) an object whose bytes arrive as a stream (a request body), written to disk
   * as they come. `declaredSize` (Content-Length), when known, lets a too large object or a full
   * quota be refused before any byte is read.
   */
  async putStream(bucket: string, key: string, body: AsyncIterable<Uint8Array>, contentType = 'application/octet-stream', declaredSize?: number, cause: WriteCause = {}): Promise<ObjectInfo> {
    const entry = this.mustBucket(bucket);
    checkKey(key);
    if (declaredSize !== undefined) {
      if (declaredSize > MAX_OBJECT_BYTES) throw new NimbusError('VALUE_TOO_LARGE', `an object is at most ${MAX_OBJECT_BYTES / 1024 / 1024} MB; this one is ${declaredSize} bytes`);
      this.checkQuota(entry.app, bucket, key, declaredSize);
    }
    const dir = join(this.o.dir, bucket);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { file, tmp, size, etag } = await writeTempFile(dir, body, MAX_OBJECT_BYTES);
    try {
      this.checkQuota(entry.app, bucket, key, size);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await rename(tmp, join(dir, file));
    const now = this.clock.now();
    const obj: StoredObject = {
      app: entry.app,
      bucket,
      key,
      file,
      size,
      etag,
      contentType: contentType || 'application/octet-stream',
      uploadedAt: now,
    };
    let replaced: string | undefined;
    try {
      replaced = this.table.put(obj, this.events(entry.subscribers, 'created', obj, now, cause));
    } catch (err) {
      await rm(join(dir, file), { force: true });
      throw err;
    }
    if (replaced !== undefined && replaced !== file) await rm(join(dir, replaced), { force: true });
    this.kick();
    return info(obj);
  }

  /**
   * The object's bytes as a stream from its file (for HTTP answers): opened before returning, so
   * a concurrent replace or delete that unlinks the file cannot cut the read short.
   */
  async openRead(bucket: string, key: string): Promise<{ info: ObjectInfo; body: Readable } | undefined> {
    return this.readObject(bucket, key, async (path) => (await open(path, 'r')).createReadStream());
  }

  async get(bucket: string, key: string): Promise<{ info: ObjectInfo; body: Buffer } | undefined> {
    return this.readObject(bucket, key, (path) => readFile(path));
  }

  /**
   * Read an object's file with `read`. A concurrent put or delete may unlink the file between
   * reading the row and the file: the row is read again, a few times.
   */
  private async readObject<T>(bucket: string, key: string, read: (path: string) => Promise<T>): Promise<{ info: ObjectInfo; body: T } | undefined> {
    const { app } = this.mustBucket(bucket);
    checkKey(key);
    for (let attempt = 0; ; attempt++) {
      const obj = this.table.get(app, bucket, key);
      if (!obj) return undefined;
      try {
        return { info: info(obj), body: await read(join(this.o.dir, bucket, obj.file)) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw err;
      }
    }
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const { app } = this.mustBucket(bucket);
    checkKey(key);
    const obj = this.table.get(app, bucket, key);
    return obj && info(obj);
  }

  async delete(bucket: string, key: string, cause: WriteCause = {}): Promise<boolean> {
    const entry = this.mustBucket(bucket);
    checkKey(key);
    const now = this.clock.now();
    const gone = this.table.delete(entry.app, bucket, key, (obj) => this.events(entry.subscribers, 'deleted', obj, now, cause));
    if (!gone) return false;
    await rm(join(this.o.dir, bucket, gone.file), { force: true });
    this.kick();
    return true;
  }

  async list(bucket: string, options: { prefix?: string; cursor?: string; limit?: number } = {}): Promise<ObjectList> {
    const { app } = this.mustBucket(bucket);
    const limit = listLimit(options.limit);
    const after = options.cursor ? decodeCursor(options.cursor) : '';
    const rows = this.table.list(app, bucket, options.prefix ?? '', after, limit + 1);
    const page = rows.slice(0, limit);
    return { objects: page.map(info), cursor: rows.length > limit ? encodeCursor(page.at(-1)!.key) : null };
  }

  /**
   * Delete every object `app` stored in `bucket` (the bucket ceased to exist: no deployed function
   * names it). No events: nothing subscribes to a bucket nobody names. Returns how many.
   */
  async purge(app: string, bucket: string): Promise<number> {
    if (!BUCKET_NAME.test(bucket)) return 0;
    const files = this.table.purge(app, bucket);
    // A crash before every unlink leaves orphans, which the next start-up sweeps.
    for (const file of files) await rm(join(this.o.dir, bucket, file), { force: true });
    return files.length;
  }

  /** Refuse (QUOTA_EXCEEDED) an object of `size` bytes that would take `app` over its quota. The commit checks again, exactly. */
  private checkQuota(app: string, bucket: string, key: string, size: number): void {
    const used = this.table.usage.get(app);
    const growth = size - (this.table.get(app, bucket, key)?.size ?? 0);
    if (growth > 0 && used + growth > this.quota) throw quotaExceeded('bucket', app, used, growth, this.quota);
  }

  /** Bytes of objects `app` stores, over all its buckets (what its quota counts). */
  async usage(app: string): Promise<number> {
    return this.table.usage.get(app);
  }

  /** Objects and bytes per bucket, counting its current owner's objects (empty buckets are absent). */
  async stats(): Promise<Map<string, { objects: number; bytes: number }>> {
    const out = new Map<string, { objects: number; bytes: number }>();
    for (const s of this.table.stats()) if (this.o.buckets.bucket(s.bucket)?.app === s.app) out.set(s.bucket, { objects: s.objects, bytes: s.bytes });
    return out;
  }

  /** Resolves once the bucket events committed so far are in the queue (a test harness's `idle()`). */
  async outboxDrained(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.draining;
  }

  private mustBucket(bucket: string) {
    return mustBucket(this.o.buckets, bucket);
  }

  /** The events of one change; they carry the writer's hop (a bucket trigger writing its own bucket is a loop). */
  private events(subscribers: Array<{ fn: FunctionVersion; trigger: BucketTrigger }>, type: BucketEventType, obj: StoredObject, now: number, cause: WriteCause): NewEvent[] {
    return bucketEvents(subscribers, type, obj, now, cause);
  }

  /** Move outbox rows to the queue, one run at a time; a failure retries after RETRY_MS. */
  private kick(): void {
    if (this.closed) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const rows = this.table.outbox(OUTBOX_PAGE);
      if (rows.length === 0) return;
      try {
        await this.o.queue.enqueue(rows.map((r) => r.event));
      } catch (err) {
        this.o.log?.(`buckets: moving ${rows.length} bucket event(s) to the queue failed, retrying in ${RETRY_MS} ms: ${(err as Error).message}`);
        clearTimeout(this.retry);
        if (!this.closed) this.retry = setTimeout(() => this.kick(), RETRY_MS).unref();
        return;
      }
      this.table.outboxDone(rows.at(-1)!.seq);
    }
  }

  /** Start-up: remove temporary files and files no row points to (a crash mid-put or mid-delete). */
  private sweep(): void {
    let removed = 0;
    for (const bucket of readdirSync(this.o.dir)) {
      if (!BUCKET_NAME.test(bucket)) continue;
      const dir = join(this.o.dir, bucket);
      const known = this.table.files(bucket);
      for (const name of readdirSync(dir)) {
        if (known.has(name)) continue;
        rmSync(join(dir, name), { force: true, recursive: true });
        removed++;
      }
    }
    if (removed > 0) this.o.log?.(`buckets: removed ${removed} orphan file(s) left by an interrupted write`);
  }
}

function info(o: StoredObject): ObjectInfo {
  return { bucket: o.bucket, key: o.key, size: o.size, etag: o.etag, contentType: o.contentType, uploadedAt: o.uploadedAt };
}

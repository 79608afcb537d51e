/**
 * The SQL side of object storage (its own migrations, sqlite-schema.ts): object metadata and the
 * bucket outbox, written in one transaction so an object never appears (or disappears) without
 * its notification being recorded.
 */
import type Database from 'better-sqlite3';
import type { NewEvent } from '../queue/port.js';
import { immediate } from '../store/immediate.js';
import { UsageTable } from '../store/usage.js';
import { upperBound } from './common.js';
import type { ObjectInfo } from './port.js';
import { migrateObjects } from './sqlite-schema.js';

export { upperBound } from './common.js';

interface ObjectRow {
  app: string;
  bucket: string;
  key: string;
  file: string;
  size: number;
  etag: string;
  content_type: string;
  uploaded_at: number;
}

export interface StoredObject extends ObjectInfo {
  /** The app owning the bucket when the object was written (rows of other owners are invisible). */
  app: string;
  /** The file's name inside the bucket's directory. */
  file: string;
}

const COLUMNS = 'app, bucket, key, file, size, etag, content_type, uploaded_at';

export class ObjectTable {
  private readonly s;
  /** Replace or insert the row and queue its events; returns the file of the row it replaced. */
  readonly put: (obj: StoredObject, events: NewEvent[]) => string | undefined;
  /** Delete every row of an owner's bucket; returns their files. */
  readonly purge: (app: string, bucket: string) => string[];
  /** Delete the row and queue the events built from it; undefined when there was none. */
  readonly delete: (app: string, bucket: string, key: string, events: (obj: StoredObject) => NewEvent[]) => StoredObject | undefined;

  /** Bytes of objects each app stores (a running total, see store/usage.ts). */
  readonly usage: UsageTable;

  /** `quota`: bytes of objects each app may store; a put over it throws QUOTA_EXCEEDED and changes nothing. */
  constructor(db: Database.Database, quota: number) {
    // Its own tables only: the file may hold the store's, or nothing else at all.
    migrateObjects(db);
    const usage = (this.usage = new UsageTable(db, 'bucket'));
    const s = {
      get: db.prepare<[string, string, string], ObjectRow>(`SELECT ${COLUMNS} FROM objects WHERE app = ? AND bucket = ? AND key = ?`),
      upsert: db.prepare<[string, string, string, string, number, string, string, number]>(`INSERT INTO objects (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (app, bucket, key) DO UPDATE SET file = excluded.file, size = excluded.size, etag = excluded.etag,
          content_type = excluded.content_type, uploaded_at = excluded.uploaded_at`),
      del: db.prepare<[string, string, string]>('DELETE FROM objects WHERE app = ? AND bucket = ? AND key = ?'),
      // Keys compare as UTF-8 bytes (BINARY), i.e. in code point order: the range [prefix, upper)
      // holds exactly the keys that start with prefix, and the primary key serves it.
      list: db.prepare<[string, string, string, string, number], ObjectRow>(`SELECT ${COLUMNS} FROM objects WHERE app = ? AND bucket = ? AND key >= ? AND key > ?
        ORDER BY key LIMIT ?`),
      listUpTo: db.prepare<[string, string, string, string, string, number], ObjectRow>(`SELECT ${COLUMNS} FROM objects WHERE app = ? AND bucket = ? AND key >= ? AND key > ? AND key < ?
        ORDER BY key LIMIT ?`),
      files: db.prepare<[string], string>('SELECT file FROM objects WHERE bucket = ?').pluck(),
      ownedFiles: db.prepare<[string, string], string>('SELECT file FROM objects WHERE app = ? AND bucket = ?').pluck(),
      purge: db.prepare<[string, string]>('DELETE FROM objects WHERE app = ? AND bucket = ?'),
      ownedBytes: db.prepare<[string, string], number>('SELECT coalesce(sum(size), 0) FROM objects WHERE app = ? AND bucket = ?').pluck(),
      stats: db.prepare<[], { app: string; bucket: string; objects: number; bytes: number }>('SELECT app, bucket, count(*) AS objects, sum(size) AS bytes FROM objects GROUP BY app, bucket'),
      outbox: db.prepare<[string]>('INSERT INTO bucket_outbox (event) VALUES (?)'),
      outboxPage: db.prepare<[number], { seq: number; event: string }>('SELECT seq, event FROM bucket_outbox ORDER BY seq LIMIT ?'),
      outboxDone: db.prepare<[number]>('DELETE FROM bucket_outbox WHERE seq <= ?'),
    };
    this.s = s;
    const queue = (events: NewEvent[]) => {
      for (const e of events) s.outbox.run(JSON.stringify(e));
    };
    this.put = immediate(
      db.transaction((obj: StoredObject, events: NewEvent[]) => {
        const old = s.get.get(obj.app, obj.bucket, obj.key);
        usage.charge(obj.app, obj.size - (old?.size ?? 0), quota);
        s.upsert.run(obj.app, obj.bucket, obj.key, obj.file, obj.size, obj.etag, obj.contentType, obj.uploadedAt);
        queue(events);
        return old?.file;
      }),
    );
    this.purge = immediate(
      db.transaction((app: string, bucket: string) => {
        const files = s.ownedFiles.all(app, bucket);
        usage.add(app, -s.ownedBytes.get(app, bucket)!);
        s.purge.run(app, bucket);
        return files;
      }),
    );
    this.delete = immediate(
      db.transaction((app: string, bucket: string, key: string, events: (obj: StoredObject) => NewEvent[]) => {
        const row = s.get.get(app, bucket, key);
        if (!row) return undefined;
        const obj = fromRow(row);
        s.del.run(app, bucket, key);
        usage.add(app, -obj.size);
        queue(events(obj));
        return obj;
      }),
    );
  }

  get(app: string, bucket: string, key: string): StoredObject | undefined {
    const row = this.s.get.get(app, bucket, key);
    return row && fromRow(row);
  }

  /** Keys starting with `prefix`, after `after` (exclusive), in key order. */
  list(app: string, bucket: string, prefix: string, after: string, limit: number): StoredObject[] {
    const upper = upperBound(prefix);
    const rows = upper === null ? this.s.list.all(app, bucket, prefix, after, limit) : this.s.listUpTo.all(app, bucket, prefix, after, upper, limit);
    return rows.map(fromRow);
  }

  /** Every file a bucket's rows point to (start-up orphan sweep). */
  files(bucket: string): Set<string> {
    return new Set(this.s.files.all(bucket));
  }

  /** Objects and bytes per owner and bucket. */
  stats(): Array<{ app: string; bucket: string; objects: number; bytes: number }> {
    return this.s.stats.all();
  }

  /** The oldest outbox entries. */
  outbox(limit: number): Array<{ seq: number; event: NewEvent }> {
    return this.s.outboxPage.all(limit).map((r) => ({ seq: r.seq, event: JSON.parse(r.event) as NewEvent }));
  }

  /** Entries up to `seq` are in the queue now. */
  outboxDone(seq: number): void {
    this.s.outboxDone.run(seq);
  }
}

function fromRow(r: ObjectRow): StoredObject {
  return { app: r.app, bucket: r.bucket, key: r.key, file: r.file, size: r.size, etag: r.etag, contentType: r.content_type, uploadedAt: r.uploaded_at };
}

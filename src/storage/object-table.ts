/**
 * The SQL side of object storage (tables of store migration 0002): object metadata and the
 * bucket outbox, written in one transaction so an object never appears (or disappears) without
 * its notification being recorded.
 */
import type Database from 'better-sqlite3';
import type { NewEvent } from '../queue/port.js';
import type { ObjectInfo } from './port.js';

interface ObjectRow {
  bucket: string;
  key: string;
  file: string;
  size: number;
  etag: string;
  content_type: string;
  uploaded_at: number;
}

export interface StoredObject extends ObjectInfo {
  /** The file's name inside the bucket's directory. */
  file: string;
}

type Stmt<P extends unknown[] = unknown[], R = unknown> = Database.Statement<P, R>;

const COLUMNS = 'bucket, key, file, size, etag, content_type, uploaded_at';

export class ObjectTable {
  private readonly s;
  /** Replace or insert the row and queue its events; returns the file of the row it replaced. */
  readonly put: (obj: StoredObject, events: NewEvent[]) => string | undefined;
  /** Delete the row and queue the events built from it; undefined when there was none. */
  readonly delete: (bucket: string, key: string, events: (obj: StoredObject) => NewEvent[]) => StoredObject | undefined;

  constructor(db: Database.Database) {
    const s = {
      get: db.prepare(`SELECT ${COLUMNS} FROM objects WHERE bucket = ? AND key = ?`) as Stmt<[string, string], ObjectRow>,
      upsert: db.prepare(`INSERT INTO objects (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (bucket, key) DO UPDATE SET file = excluded.file, size = excluded.size, etag = excluded.etag,
          content_type = excluded.content_type, uploaded_at = excluded.uploaded_at`) as Stmt<[string, string, string, number, string, string, number]>,
      del: db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ?') as Stmt<[string, string]>,
      // Keys compare as UTF-8 bytes (BINARY), i.e. in code point order: the range [prefix, upper)
      // holds exactly the keys that start with prefix, and the primary key serves it.
      list: db.prepare(`SELECT ${COLUMNS} FROM objects WHERE bucket = ? AND key >= ? AND key > ?
        ORDER BY key LIMIT ?`) as Stmt<[string, string, string, number], ObjectRow>,
      listUpTo: db.prepare(`SELECT ${COLUMNS} FROM objects WHERE bucket = ? AND key >= ? AND key > ? AND key < ?
        ORDER BY key LIMIT ?`) as Stmt<[string, string, string, string, number], ObjectRow>,
      files: db.prepare('SELECT file FROM objects WHERE bucket = ?').pluck() as Stmt<[string], string>,
      stats: db.prepare('SELECT bucket, count(*) AS objects, sum(size) AS bytes FROM objects GROUP BY bucket') as Stmt<[], { bucket: string; objects: number; bytes: number }>,
      outbox: db.prepare('INSERT INTO bucket_outbox (event) VALUES (?)') as Stmt<[string]>,
      outboxPage: db.prepare('SELECT seq, event FROM bucket_outbox ORDER BY seq LIMIT ?') as Stmt<[number], { seq: number; event: string }>,
      outboxDone: db.prepare('DELETE FROM bucket_outbox WHERE seq <= ?') as Stmt<[number]>,
    };
    this.s = s;
    const queue = (events: NewEvent[]) => {
      for (const e of events) s.outbox.run(JSON.stringify(e));
    };
    this.put = db.transaction((obj: StoredObject, events: NewEvent[]) => {
      const old = s.get.get(obj.bucket, obj.key);
      s.upsert.run(obj.bucket, obj.key, obj.file, obj.size, obj.etag, obj.contentType, obj.uploadedAt);
      queue(events);
      return old?.file;
    });
    this.delete = db.transaction((bucket: string, key: string, events: (obj: StoredObject) => NewEvent[]) => {
      const row = s.get.get(bucket, key);
      if (!row) return undefined;
      const obj = fromRow(row);
      s.del.run(bucket, key);
      queue(events(obj));
      return obj;
    });
  }

  get(bucket: string, key: string): StoredObject | undefined {
    const row = this.s.get.get(bucket, key);
    return row && fromRow(row);
  }

  /** Keys starting with `prefix`, after `after` (exclusive), in key order. */
  list(bucket: string, prefix: string, after: string, limit: number): StoredObject[] {
    const upper = upperBound(prefix);
    const rows = upper === null ? this.s.list.all(bucket, prefix, after, limit) : this.s.listUpTo.all(bucket, prefix, after, upper, limit);
    return rows.map(fromRow);
  }

  /** Every file a bucket's rows point to (start-up orphan sweep). */
  files(bucket: string): Set<string> {
    return new Set(this.s.files.all(bucket));
  }

  stats(): Map<string, { objects: number; bytes: number }> {
    return new Map(this.s.stats.all().map((r) => [r.bucket, { objects: r.objects, bytes: r.bytes }]));
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
  return { bucket: r.bucket, key: r.key, file: r.file, size: r.size, etag: r.etag, contentType: r.content_type, uploadedAt: r.uploaded_at };
}

/**
 * The least string greater than every string starting with `prefix` (its last code point plus
 * one, carrying past U+10FFFF and skipping surrogates); null when there is none (empty prefix).
 */
export function upperBound(prefix: string): string | null {
  const cps = [...prefix].map((c) => c.codePointAt(0)!);
  while (cps.length > 0) {
    let last = cps.pop()! + 1;
    if (last === 0xd800) last = 0xe000;
    if (last <= 0x10ffff) return String.fromCodePoint(...cps, last);
  }
  return null;
}

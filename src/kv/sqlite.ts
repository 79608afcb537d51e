/**
 * The embedded KvStore: the `kv` table (its own migrations, sqlite-schema.ts) of the node's SQLite file, on its own
 * connection so KV traffic from functions never waits behind a control-plane transaction in the
 * store's statement cache. Expired values are invisible at once (every read compares with the
 * clock) and deleted by a periodic sweep, a bounded batch at a time so it never blocks the loop long.
 */
import Database from 'better-sqlite3';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { immediate } from '../store/immediate.js';
import { DEFAULT_KV_QUOTA_BYTES, ownerOf, UsageTable } from '../store/usage.js';
import { decodeCursor, encodeCursor, expiresAt, listLimit } from './cursor.js';
import type { KvListResult, KvStore } from './port.js';
import { migrateKv } from './sqlite-schema.js';

export interface SqliteKvStoreOptions {
  /** The node's database file (shared with the other adapters), its own file, or ':memory:'. */
  file: string;
  clock?: Clock;
  /** How often expired values are deleted, ms; 0 = never (call `sweep()`). Default 60 s. */
  sweepMs?: number;
  /** Bytes (keys + values) each app may store. Default 100 MB. */
  quotaBytes?: number;
}

/** Rows deleted per sweep statement. */
const SWEEP_BATCH = 1000;
/**
 * The upper bound of a prefix range: prefix + the largest code point. Keys continuing a prefix
 * with U+10FFFF (a non-character) and more would fall outside; no real key does.
 */
const MAX_CHAR = '\u{10FFFF}';

type Row = { key: string; expires_at: number | null };
/** A row's size for quotas: UTF-8 bytes of key and value. */
const ROW_BYTES = 'length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))';

export class SqliteKvStore implements KvStore {
  private readonly stmts;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly usageTable: UsageTable;
  private readonly putTx: (namespace: string, key: string, value: string, expires: number | null) => void;
  private readonly deleteTx: (namespace: string, key: string) => void;
  private readonly sweepTx: (now: number) => number;

  private constructor(
    private readonly db: Database.Database,
    private readonly clock: Clock,
    sweepMs: number,
    quota: number,
  ) {
    const usage = (this.usageTable = new UsageTable(db, 'kv'));
    this.stmts = {
      size: db.prepare<[string, string], number>(`SELECT ${ROW_BYTES} FROM kv WHERE namespace = ? AND key = ?`).pluck(),
      namespaceSize: db.prepare<[string], number>(`SELECT coalesce(sum(${ROW_BYTES}), 0) FROM kv WHERE namespace = ?`).pluck(),
      get: db.prepare<[string, string, number], string>('SELECT value FROM kv WHERE namespace = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)').pluck(),
      put: db.prepare<[string, string, string, number | null]>(`INSERT INTO kv (namespace, key, value, expires_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`),
      delete: db.prepare<[string, string], number>(`DELETE FROM kv WHERE namespace = ? AND key = ? RETURNING ${ROW_BYTES}`).pluck(),
      dropLive: db.prepare<[string, number]>('DELETE FROM kv WHERE namespace = ? AND (expires_at IS NULL OR expires_at > ?)'),
      dropAll: db.prepare<[string]>('DELETE FROM kv WHERE namespace = ?'),
      list: db.prepare<[string, string, string, string, number, number], Row>(`SELECT key, expires_at FROM kv WHERE namespace = ? AND key > ? AND key >= ? AND key <= ?
        AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ?`),
      sweep: db.prepare<[number], { namespace: string; bytes: number }>(`DELETE FROM kv WHERE rowid IN
        (SELECT rowid FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ${SWEEP_BATCH}) RETURNING namespace, ${ROW_BYTES} AS bytes`),
    };
    const s = this.stmts;
    // IMMEDIATE: each reads the old size before writing (see usage.ts for the accounting).
    this.putTx = immediate(
      db.transaction((namespace: string, key: string, value: string, expires: number | null) => {
        const delta = Buffer.byteLength(key) + Buffer.byteLength(value) - (s.size.get(namespace, key) ?? 0);
        usage.charge(ownerOf(namespace), delta, quota);
        s.put.run(namespace, key, value, expires);
      }),
    );
    this.deleteTx = immediate(
      db.transaction((namespace: string, key: string) => {
        const freed = s.delete.get(namespace, key);
        if (freed !== undefined) usage.add(ownerOf(namespace), -freed);
      }),
    );
    this.sweepTx = immediate(
      db.transaction((now: number) => {
        const rows = s.sweep.all(now);
        const freed = new Map<string, number>();
        for (const r of rows) freed.set(ownerOf(r.namespace), (freed.get(ownerOf(r.namespace)) ?? 0) + r.bytes);
        for (const [app, bytes] of freed) usage.add(app, -bytes);
        return rows.length;
      }),
    );
    if (sweepMs > 0) {
      this.timer = setInterval(() => this.sweep(), sweepMs);
      this.timer.unref();
    }
  }

  static open(options: SqliteKvStoreOptions): SqliteKvStore {
    const db = new Database(options.file);
    try {
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // Its own tables only: the file may hold the store's, or nothing else at all.
      migrateKv(db);
      return new SqliteKvStore(db, options.clock ?? systemClock, options.sweepMs ?? 60_000, options.quotaBytes ?? DEFAULT_KV_QUOTA_BYTES);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async get(namespace: string, key: string): Promise<string | null> {
    return this.stmts.get.get(namespace, key, this.clock.now()) ?? null;
  }

  async put(namespace: string, key: string, value: string, options: { ttlSeconds?: number } = {}): Promise<void> {
    this.putTx(namespace, key, value, expiresAt(this.clock.now(), options.ttlSeconds));
  }

  async delete(namespace: string, key: string): Promise<void> {
    this.deleteTx(namespace, key);
  }

  async usage(app: string): Promise<number> {
    return this.usageTable.get(app);
  }

  async list(namespace: string, options: { prefix?: string; cursor?: string; limit?: number } = {}): Promise<KvListResult> {
    const prefix = options.prefix ?? '';
    const limit = listLimit(options.limit);
    const rows = this.stmts.list.all(namespace, decodeCursor(options.cursor), prefix, prefix + MAX_CHAR, this.clock.now(), limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      keys: page.map((r) => ({ name: r.key, expiration: r.expires_at })),
      cursor: rows.length > limit && last ? encodeCursor(last.key) : null,
    };
  }

  async deleteNamespace(namespace: string): Promise<number> {
    return this.db
      .transaction(() => {
        this.usageTable.add(ownerOf(namespace), -this.stmts.namespaceSize.get(namespace)!);
        const live = this.stmts.dropLive.run(namespace, this.clock.now()).changes;
        this.stmts.dropAll.run(namespace);
        return live;
      })
      .immediate();
  }

  /** Delete expired values, a batch at a time; returns how many. */
  sweep(maxBatches = 10): number {
    let deleted = 0;
    for (let i = 0; i < maxBatches; i++) {
      const n = this.sweepTx(this.clock.now());
      deleted += n;
      if (n < SWEEP_BATCH) break;
    }
    return deleted;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.db.open) this.db.close();
  }
}

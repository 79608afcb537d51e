/**
 * Per-app storage quotas (issue 8): the bytes each app stores, per kind, as a running total in
 * `storage_usage`. Every write adds its delta inside the SAME transaction as the
 * data row, so the total survives restarts and crashes exactly, and a quota check is one primary
 * key lookup instead of a SUM over the data. Overwrites count the difference; deletes, purges and
 * TTL sweeps give their bytes back.
 */
import type Database from 'better-sqlite3';
import { NimbusError } from '../shared/errors.js';
import { migrateSqlite } from './sqlite-migrate.js';

export type UsageKind = 'kv' | 'bucket';

/** Default quotas: 100 MB of KV values and 1 GB of bucket objects per app. */
export const DEFAULT_KV_QUOTA_BYTES = 100 * 1024 * 1024;
export const DEFAULT_BUCKET_QUOTA_BYTES = 1024 * 1024 * 1024;

/**
 * `storage_usage` is its own component, owned by this module rather than by KV or object storage:
 * both write it (rows of kind 'kv' and 'bucket'), and either may open a file first or alone. One
 * shared table, not one per kind, because today's data dirs hold it (store migration 0004) and a
 * split would copy rows for nothing. Each user applies these migrations before its own, and its
 * own first migration fills its kind's rows from the data it already holds (INSERT OR IGNORE: a
 * database from before issue 8 gets them counted; one that has running totals keeps them).
 */
export const USAGE_MIGRATIONS: readonly string[] = [
  // 0001 store migration 0004's table, adopted where it exists.
  `
  CREATE TABLE IF NOT EXISTS storage_usage (
    app   TEXT NOT NULL,
    kind  TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (app, kind)
  ) STRICT;
  `,
];

/** Create (or adopt) `storage_usage` on this connection's file. */
export function migrateUsage(db: Database.Database): number {
  return migrateSqlite(db, 'storage_usage', USAGE_MIGRATIONS);
}

export class UsageTable {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly kind: UsageKind,
  ) {
    this.s = {
      get: db.prepare<[string, string], number>('SELECT bytes FROM storage_usage WHERE app = ? AND kind = ?').pluck(),
      add: db.prepare<[{ app: string; kind: string; delta: number }]>(`INSERT INTO storage_usage (app, kind, bytes) VALUES (@app, @kind, max(0, @delta))
        ON CONFLICT (app, kind) DO UPDATE SET bytes = max(0, bytes + @delta)`),
    };
  }

  /** Bytes `app` stores of this kind. */
  get(app: string): number {
    return this.s.get.get(app, this.kind) ?? 0;
  }

  /** Call inside the write's transaction. */
  add(app: string, delta: number): void {
    if (delta !== 0) this.s.add.run({ app, kind: this.kind, delta });
  }

  /**
   * Inside the write's transaction: refuse (QUOTA_EXCEEDED) a write that grows `app` by `delta`
   * past `quota`, else count it. A write that shrinks usage is always allowed, even over the quota
   * (after the quota was lowered), so an app can always clean up.
   */
  charge(app: string, delta: number, quota: number): void {
    const used = this.get(app);
    if (delta > 0 && used + delta > quota) throw quotaExceeded(this.kind, app, used, delta, quota);
    this.add(app, delta);
  }
}

/** KV namespaces are stored as '<app>/<name>'; the quota belongs to the app. */
export function ownerOf(namespace: string): string {
  const slash = namespace.indexOf('/');
  return slash < 0 ? namespace : namespace.slice(0, slash);
}

export function quotaExceeded(kind: UsageKind, app: string, used: number, adding: number, quota: number): NimbusError {
  const what = kind === 'kv' ? 'KV values' : 'bucket objects';
  const flag = kind === 'kv' ? '--kv-quota' : '--bucket-quota';
  return new NimbusError(
    'QUOTA_EXCEEDED',
    `app "${app}" stores ${mb(used)} of ${what} and this write adds ${mb(adding)}, over its quota of ${mb(quota)}: delete some data, or start the node with a larger \`nimbus up ${flag} <MB>\``,
    { details: { app, kind, used, adding, quota } },
  );
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 3 : 1)} MB`;
}

/**
 * The key and audit tables of the SQLite store (migration 0005), one statement each, kept apart
 * from sqlite.ts so each file stays one responsibility.
 */
import type Database from 'better-sqlite3';
import type { ApiKeyRecord, AuditEntry } from '../domain/index.js';
import { toAudit, toKey, type AuditRow, type KeyRow } from './rows-control.js';
import type { AuditQuery } from './port.js';
import { AUDIT_LIMIT, clampLimit, duplicateKeyName } from './rules.js';

export class SqliteKeys {
  readonly #insert: Database.Statement;
  readonly #all: Database.Statement<[], KeyRow>;
  readonly #byHash: Database.Statement<[string], KeyRow>;
  readonly #byAccessKey: Database.Statement<[string], KeyRow>;
  readonly #reseal: Database.Statement<[string, string]>;
  readonly #live: Database.Statement<[string, string], KeyRow>;
  readonly #revoke: Database.Statement<[number, string]>;
  readonly #touch: Database.Statement<[number, string]>;
  readonly #audit: Database.Statement;
  readonly #pruneAudit: Database.Statement<[number]>;
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(`INSERT INTO api_keys (id, name, prefix, scope, apps, hash, secret_kind, created_at, expires_at, revoked_at, last_used_at, aws_access_key_id, aws_sealed_secret)
      VALUES (@id, @name, @prefix, @scope, @apps, @hash, @secretKind, @createdAt, @expiresAt, @revokedAt, @lastUsedAt, @awsAccessKeyId, @awsSealedSecret)`);
    this.#byAccessKey = db.prepare('SELECT * FROM api_keys WHERE aws_access_key_id = ?');
    this.#reseal = db.prepare('UPDATE api_keys SET aws_sealed_secret = ? WHERE id = ?');
    this.#all = db.prepare('SELECT * FROM api_keys ORDER BY created_at, rowid');
    this.#byHash = db.prepare('SELECT * FROM api_keys WHERE hash = ?');
    this.#live = db.prepare('SELECT * FROM api_keys WHERE revoked_at IS NULL AND (id = ? OR name = ?)');
    this.#revoke = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?');
    this.#touch = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
    this.#pruneAudit = db.prepare('DELETE FROM audit WHERE ts < ?');
    this.#audit = db.prepare(`INSERT INTO audit (ts, key_id, key_name, action, app, target, outcome) VALUES (@ts, @keyId, @keyName, @action, @app, @target, @outcome)`);
  }

  create(key: ApiKeyRecord): void {
    try {
      const { aws, ...rest } = key;
      this.#insert.run({ ...rest, apps: JSON.stringify(key.apps), awsAccessKeyId: aws?.accessKeyId ?? null, awsSealedSecret: aws?.sealedSecret ?? null });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String(err).includes('name')) throw duplicateKeyName(key.name);
      throw err;
    }
  }

  list(): ApiKeyRecord[] {
    return this.#all.all().map(toKey);
  }

  byHash(hash: string): ApiKeyRecord | undefined {
    const row = this.#byHash.get(hash);
    return row && toKey(row);
  }

  byAccessKeyId(accessKeyId: string): ApiKeyRecord | undefined {
    const row = this.#byAccessKey.get(accessKeyId);
    return row && toKey(row);
  }

  /** New seals of AWS secrets (master key rotation), all or none. */
  reseal(rows: Array<{ id: string; sealedSecret: string }>): void {
    this.#db.transaction(() => {
      for (const r of rows) this.#reseal.run(r.sealedSecret, r.id);
    })();
  }

  revoke(idOrName: string, at: number): ApiKeyRecord | undefined {
    const row = this.#live.get(idOrName, idOrName);
    if (!row) return undefined;
    this.#revoke.run(at, row.id);
    return toKey({ ...row, revoked_at: at });
  }

  touch(id: string, at: number): void {
    this.#touch.run(at, id);
  }

  append(entry: Omit<AuditEntry, 'seq'>): void {
    this.#audit.run(entry);
  }

  pruneAudit(before: number): number {
    return this.#pruneAudit.run(before).changes;
  }

  listAudit(q: AuditQuery): AuditEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.app !== undefined) {
      where.push('app = ?');
      args.push(q.app);
    }
    if (q.apps !== undefined) {
      where.push(`app IN (${q.apps.map(() => '?').join(', ') || 'NULL'})`);
      args.push(...q.apps);
    }
    if (q.appsOnly) where.push('app IS NOT NULL');
    if (q.since !== undefined) {
      where.push('ts >= ?');
      args.push(q.since);
    }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return this.#db
      .prepare<unknown[], AuditRow>(sql)
      .all(...args, clampLimit(q.limit, AUDIT_LIMIT))
      .map(toAudit);
  }
}

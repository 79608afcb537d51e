/** API keys and the audit trail on PostgreSQL (the SQLite side is ../sqlite-keys.ts). */
import type { ApiKeyRecord, AuditEntry } from '../../domain/index.js';
import { toAudit, toKey, type AuditRow, type KeyRow } from '../rows-control.js';
import { pgErrorCode, withTransaction, type PgPool } from '../../pg/index.js';
import type { AuditQuery } from '../port.js';
import { AUDIT_LIMIT, clampLimit, duplicateKeyName } from '../rules.js';

const KEY_COLUMNS = 'id, name, prefix, scope, apps, hash, secret_kind, created_at, expires_at, revoked_at, last_used_at, aws_access_key_id, aws_sealed_secret';

export class PgKeys {
  constructor(private readonly pool: PgPool) {}

  async create(key: ApiKeyRecord): Promise<void> {
    try {
      await this.pool.query(`INSERT INTO api_keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, [
        key.id,
        key.name,
        key.prefix,
        key.scope,
        JSON.stringify(key.apps),
        key.hash,
        key.secretKind,
        key.createdAt,
        key.expiresAt,
        key.revokedAt,
        key.lastUsedAt,
        key.aws?.accessKeyId ?? null,
        key.aws?.sealedSecret ?? null,
      ]);
    } catch (err) {
      if (pgErrorCode(err) === '23505' && (err as { constraint?: string }).constraint === 'api_keys_live_name') throw duplicateKeyName(key.name);
      throw err;
    }
  }

  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, ins`);
    return rows.map(toKey);
  }

  async byHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.pool.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE hash = $1`, [hash]);
    return rows[0] && toKey(rows[0]);
  }

  async byAccessKeyId(accessKeyId: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.pool.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE aws_access_key_id = $1`, [accessKeyId]);
    return rows[0] && toKey(rows[0]);
  }

  /** New seals of AWS secrets (master key rotation), all or none. */
  async reseal(rows: Array<{ id: string; sealedSecret: string }>): Promise<void> {
    if (rows.length === 0) return;
    await withTransaction(this.pool, async (c) => {
      for (const r of rows) await c.query('UPDATE api_keys SET aws_sealed_secret = $1 WHERE id = $2', [r.sealedSecret, r.id]);
    });
  }

  /** One statement, so two nodes revoking the same key cannot both report it. */
  async revoke(idOrName: string, at: number): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.pool.query<KeyRow>(
      `UPDATE api_keys SET revoked_at = $1
        WHERE id = (SELECT id FROM api_keys WHERE revoked_at IS NULL AND (id = $2 OR name = $2) LIMIT 1) AND revoked_at IS NULL
        RETURNING ${KEY_COLUMNS}`,
      [at, idOrName],
    );
    return rows[0] && toKey(rows[0]);
  }

  async touch(id: string, at: number): Promise<void> {
    await this.pool.query('UPDATE api_keys SET last_used_at = $1 WHERE id = $2', [at, id]);
  }

  async append(e: Omit<AuditEntry, 'seq'>): Promise<void> {
    await this.pool.query('INSERT INTO audit (ts, key_id, key_name, action, app, target, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      e.ts,
      e.keyId,
      e.keyName,
      e.action,
      e.app,
      e.target,
      e.outcome,
    ]);
  }

  async pruneAudit(before: number): Promise<number> {
    return (await this.pool.query('DELETE FROM audit WHERE ts < $1', [before])).rowCount ?? 0;
  }

  async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown): string => `$${args.push(v)}`;
    if (q.app !== undefined) where.push(`app = ${arg(q.app)}`);
    if (q.apps !== undefined) where.push(`app = ANY(${arg(q.apps)}::text[])`);
    if (q.appsOnly) where.push('app IS NOT NULL');
    if (q.since !== undefined) where.push(`ts >= ${arg(q.since)}`);
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${arg(clampLimit(q.limit, AUDIT_LIMIT))}`;
    const { rows } = await this.pool.query<AuditRow>(sql, args);
    return rows.map(toAudit);
  }
}

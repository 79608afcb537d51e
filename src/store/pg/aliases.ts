/**
 * Aliases and canaries on PostgreSQL (the SQLite side is ../sqlite-aliases.ts). Rows of a deleted
 * function or app go by cascade.
 */
import type { AliasRecord, CanaryRecord } from '../../domain/index.js';
import { toAlias, toCanary, type AliasRow, type CanaryRow } from '../rows-control.js';
import { pgErrorCode, withTransaction, type PgPool } from '../../pg/index.js';
import { NimbusError } from '../../shared/errors.js';
import { aliasVersionMissing, functionMissing } from '../rules.js';

export class PgAliases {
  constructor(private readonly pool: PgPool) {}

  async set(alias: Omit<AliasRecord, 'createdAt' | 'updatedAt'>, now: number): Promise<AliasRecord> {
    return withTransaction(this.pool, async (c) => {
      // FOR SHARE: the function (and so its versions) cannot be deleted under the new alias.
      const fn = await c.query('SELECT 1 FROM functions WHERE app = $1 AND name = $2 FOR SHARE', [alias.app, alias.function]);
      if (fn.rowCount === 0) throw functionMissing(alias.app, alias.function);
      for (const v of [alias.version, ...(alias.weighted ? [alias.weighted.version] : [])]) {
        const found = await c.query('SELECT 1 FROM versions WHERE app = $1 AND name = $2 AND version = $3', [alias.app, alias.function, v]);
        if (found.rowCount === 0) throw aliasVersionMissing(alias.app, alias.function, v);
      }
      const { rows } = await c.query<AliasRow>(
        `INSERT INTO aliases (app, function, name, version, weighted_version, weighted_weight, created_at, updated_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
          ON CONFLICT (app, function, name) DO UPDATE SET version = excluded.version, weighted_version = excluded.weighted_version,
            weighted_weight = excluded.weighted_weight, updated_at = excluded.updated_at
          RETURNING *`,
        [alias.app, alias.function, alias.name, alias.version, alias.weighted?.version ?? null, alias.weighted?.weight ?? null, now],
      );
      return toAlias(rows[0]!);
    });
  }

  async list(app?: string, fn?: string): Promise<AliasRecord[]> {
    const { rows } = await this.pool.query<AliasRow>(`SELECT * FROM aliases WHERE ($1::text IS NULL OR app = $1) AND ($2::text IS NULL OR function = $2) ORDER BY app, function, name`, [
      app ?? null,
      fn ?? null,
    ]);
    return rows.map(toAlias);
  }

  async delete(app: string, fn: string, name: string): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM aliases WHERE app = $1 AND function = $2 AND name = $3', [app, fn, name]);
    return (r.rowCount ?? 0) > 0;
  }

  /** The foreign key on apps answers "the app must exist", also against a concurrent delete. */
  async saveCanary(c: CanaryRecord): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO canaries (app, state, weight, started_at, ends_at, max_error_rate, functions, reason, finished_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
          ON CONFLICT (app) DO UPDATE SET state = excluded.state, weight = excluded.weight, started_at = excluded.started_at,
            ends_at = excluded.ends_at, max_error_rate = excluded.max_error_rate, functions = excluded.functions,
            reason = excluded.reason, finished_at = excluded.finished_at`,
        [c.app, c.state, c.weight, c.startedAt, c.endsAt, c.maxErrorRate, JSON.stringify(c.functions), c.reason, c.finishedAt],
      );
    } catch (err) {
      if (pgErrorCode(err) === '23503') throw new NimbusError('APP_NOT_FOUND', `no app named "${c.app}"`);
      throw err;
    }
  }

  async checkpointCanary(c: CanaryRecord): Promise<boolean> {
    const r = await this.pool.query("UPDATE canaries SET functions = $1 WHERE app = $2 AND state = 'running' AND started_at = $3", [JSON.stringify(c.functions), c.app, c.startedAt]);
    return (r.rowCount ?? 0) > 0;
  }

  async getCanary(app: string): Promise<CanaryRecord | undefined> {
    const { rows } = await this.pool.query<CanaryRow>('SELECT * FROM canaries WHERE app = $1', [app]);
    return rows[0] && toCanary(rows[0]);
  }

  async running(): Promise<CanaryRecord[]> {
    const { rows } = await this.pool.query<CanaryRow>("SELECT * FROM canaries WHERE state = 'running' ORDER BY app");
    return rows.map(toCanary);
  }
}

/**
 * The alias and canary tables of the SQLite store (migration 0008), kept apart from sqlite.ts so
 * each file stays one responsibility. Rows of a deleted function or app go by cascade.
 */
import type Database from 'better-sqlite3';
import type { AliasRecord, CanaryRecord } from '../domain/index.js';
import { toAlias, toCanary, type AliasRow, type CanaryRow } from './rows-control.js';
import { aliasVersionMissing, functionMissing } from './rules.js';

export class SqliteAliases {
  readonly #db: Database.Database;
  readonly #fnExists: Database.Statement<[string, string], number>;
  readonly #versionExists: Database.Statement<[string, string, number], number>;
  readonly #upsert: Database.Statement;
  readonly #get: Database.Statement<[string, string, string], AliasRow>;
  readonly #delete: Database.Statement<[string, string, string]>;
  readonly #saveCanary: Database.Statement;
  readonly #checkpointCanary: Database.Statement<[string, string, number]>;
  readonly #getCanary: Database.Statement<[string], CanaryRow>;
  readonly #running: Database.Statement<[], CanaryRow>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#fnExists = db.prepare<[string, string], number>('SELECT 1 FROM functions WHERE app = ? AND name = ?').pluck();
    this.#versionExists = db.prepare<[string, string, number], number>('SELECT 1 FROM versions WHERE app = ? AND name = ? AND version = ?').pluck();
    this.#upsert = db.prepare(`INSERT INTO aliases (app, function, name, version, weighted_version, weighted_weight, created_at, updated_at)
      VALUES (@app, @function, @name, @version, @wv, @ww, @now, @now)
      ON CONFLICT (app, function, name) DO UPDATE SET version = excluded.version, weighted_version = excluded.weighted_version,
        weighted_weight = excluded.weighted_weight, updated_at = excluded.updated_at`);
    this.#get = db.prepare('SELECT * FROM aliases WHERE app = ? AND function = ? AND name = ?');
    this.#delete = db.prepare('DELETE FROM aliases WHERE app = ? AND function = ? AND name = ?');
    this.#saveCanary = db.prepare(`INSERT OR REPLACE INTO canaries (app, state, weight, started_at, ends_at, max_error_rate, functions, reason, finished_at)
      VALUES (@app, @state, @weight, @startedAt, @endsAt, @maxErrorRate, @functions, @reason, @finishedAt)`);
    this.#getCanary = db.prepare('SELECT * FROM canaries WHERE app = ?');
    this.#checkpointCanary = db.prepare("UPDATE canaries SET functions = ? WHERE app = ? AND state = 'running' AND started_at = ?");
    this.#running = db.prepare("SELECT * FROM canaries WHERE state = 'running' ORDER BY app");
  }

  set(alias: Omit<AliasRecord, 'createdAt' | 'updatedAt'>, now: number): AliasRecord {
    return this.#db
      .transaction(() => {
        if (this.#fnExists.get(alias.app, alias.function) === undefined) throw functionMissing(alias.app, alias.function);
        for (const v of [alias.version, ...(alias.weighted ? [alias.weighted.version] : [])]) {
          if (this.#versionExists.get(alias.app, alias.function, v) === undefined) throw aliasVersionMissing(alias.app, alias.function, v);
        }
        this.#upsert.run({ app: alias.app, function: alias.function, name: alias.name, version: alias.version, wv: alias.weighted?.version ?? null, ww: alias.weighted?.weight ?? null, now });
        return toAlias(this.#get.get(alias.app, alias.function, alias.name)!);
      })
      .immediate();
  }

  list(app?: string, fn?: string): AliasRecord[] {
    const where: string[] = [];
    const args: string[] = [];
    if (app !== undefined) {
      where.push('app = ?');
      args.push(app);
    }
    if (fn !== undefined) {
      where.push('function = ?');
      args.push(fn);
    }
    const sql = `SELECT * FROM aliases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY app, function, name`;
    return this.#db
      .prepare<string[], AliasRow>(sql)
      .all(...args)
      .map(toAlias);
  }

  delete(app: string, fn: string, name: string): boolean {
    return this.#delete.run(app, fn, name).changes > 0;
  }

  checkpointCanary(c: CanaryRecord): boolean {
    return this.#checkpointCanary.run(JSON.stringify(c.functions), c.app, c.startedAt).changes > 0;
  }

  saveCanary(c: CanaryRecord): void {
    this.#saveCanary.run({ ...c, functions: JSON.stringify(c.functions) });
  }

  getCanary(app: string): CanaryRecord | undefined {
    const row = this.#getCanary.get(app);
    return row && toCanary(row);
  }

  running(): CanaryRecord[] {
    return this.#running.all().map(toCanary);
  }
}

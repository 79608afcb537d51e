/**
 * The control-plane half of the Store on PostgreSQL: apps, functions, versions and bundles (here),
 * API keys and audit (keys.ts), aliases and canaries (aliases.ts).
 *
 * Concurrency between nodes sharing the database:
 * - A deploy (and a delete) of an app holds the advisory lock (LOCK.app, hashtext(app)) for its
 *   transaction, so two nodes deploying one app run one after the other: the second sees the
 *   first's versions and numbers its own after them (1, 2, 3… per function), or creates nothing
 *   when the hashes match.
 * - Bundles are collected (rows no version references deleted) in a transaction of their own after
 *   a delete commits, holding LOCK.codeGc exclusively; deploys hold it shared. So a collection never
 *   deletes a bundle a running deploy has just found present and is about to reference.
 */
import type { AliasRecord, ApiKeyRecord, AuditEntry, CanaryRecord, FunctionRecord, FunctionVersion } from '../../domain/index.js';
import { withTransaction, type PgClient, type PgPool } from '../../pg/index.js';
import { NimbusError } from '../../shared/errors.js';
import type { AppSummary, AuditQuery, ControlStore, DeployAppResult, DeployFunctionInput, DeployFunctionResult, DeployOptions } from '../port.js';
import { assertUniqueNames, byteLength } from '../rules.js';
import * as rows from '../sqlite-rows.js';
import { PgAliases } from './aliases.js';
import { CodeCache } from './code-cache.js';
import { PgKeys } from './keys.js';
import { LOCK } from './schema.js';

const FN_SELECT = `SELECT f.app, f.name, f.active_version, f.latest_version, f.created_at, f.updated_at,
    v.hash, v.code_hash, v.code_size, v.config, v.created_at AS v_created_at
  FROM functions f JOIN versions v ON v.app = f.app AND v.name = f.name AND v.version = f.active_version`;

export interface PgControlStoreOptions {
  pool: PgPool;
  clock?: () => number;
  /** Characters of bundles kept in memory (default 64 Mi). */
  codeCacheChars?: number;
}

export class PgControlStore implements ControlStore {
  readonly #pool: PgPool;
  readonly #clock: () => number;
  readonly #keys: PgKeys;
  readonly #aliases: PgAliases;
  /** Bundles read by this node (exposed for tests: a second read must not query). */
  readonly codeCache: CodeCache;

  /** The schema must be migrated (PgStore.open does it). */
  constructor(options: PgControlStoreOptions) {
    this.#pool = options.pool;
    this.#clock = options.clock ?? Date.now;
    this.#keys = new PgKeys(options.pool);
    this.#aliases = new PgAliases(options.pool);
    this.codeCache = new CodeCache(options.codeCacheChars);
  }

  async deployApp(app: string, functions: DeployFunctionInput[], options: DeployOptions = {}): Promise<DeployAppResult> {
    assertUniqueNames(app, functions);
    const now = this.#clock();
    const result = await withTransaction(this.#pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock_shared($1, 0)', [LOCK.codeGc]);
      await lockApp(c, app);
      return deployTx(c, app, functions, now, options.keepActive === true);
    });
    if (result.removed.length > 0) await this.#collectCode();
    return result;
  }

  async listApps(): Promise<AppSummary[]> {
    const { rows: found } = await this.#pool.query<rows.AppRow>(`SELECT a.name, a.created_at, a.updated_at,
      (SELECT count(*) FROM functions f WHERE f.app = a.name)::integer AS functions FROM apps a ORDER BY a.name`);
    return found.map(rows.toAppSummary);
  }

  async listFunctions(app?: string): Promise<FunctionRecord[]> {
    const { rows: found } = await this.#pool.query<rows.FunctionRow>(`${FN_SELECT} WHERE ($1::text IS NULL OR f.app = $1) ORDER BY f.app, f.name`, [app ?? null]);
    return found.map(rows.toFunctionRecord);
  }

  async getFunction(app: string, name: string): Promise<FunctionRecord | undefined> {
    const row = await getFn(this.#pool, app, name);
    return row && rows.toFunctionRecord(row);
  }

  async deleteFunction(app: string, name: string): Promise<boolean> {
    const deleted = await withTransaction(this.#pool, async (c) => {
      await lockApp(c, app);
      return ((await c.query('DELETE FROM functions WHERE app = $1 AND name = $2', [app, name])).rowCount ?? 0) > 0;
    });
    if (deleted) await this.#collectCode();
    return deleted;
  }

  async deleteApp(app: string): Promise<boolean> {
    const deleted = await withTransaction(this.#pool, async (c) => {
      await lockApp(c, app);
      return ((await c.query('DELETE FROM apps WHERE name = $1', [app])).rowCount ?? 0) > 0;
    });
    if (deleted) await this.#collectCode();
    return deleted;
  }

  async listVersions(app: string, name: string): Promise<FunctionVersion[]> {
    const { rows: found } = await this.#pool.query<rows.VersionRow>('SELECT * FROM versions WHERE app = $1 AND name = $2 ORDER BY version', [app, name]);
    return found.map(rows.toVersion);
  }

  async getVersion(app: string, name: string, version: number): Promise<FunctionVersion | undefined> {
    const { rows: found } = await this.#pool.query<rows.VersionRow>('SELECT * FROM versions WHERE app = $1 AND name = $2 AND version = $3', [app, name, version]);
    return found[0] && rows.toVersion(found[0]);
  }

  async getCode(codeHash: string): Promise<string | undefined> {
    const held = this.codeCache.get(codeHash);
    if (held !== undefined) return held;
    const { rows: found } = await this.#pool.query<{ code: Buffer }>('SELECT code FROM code WHERE code_hash = $1', [codeHash]);
    if (found[0] === undefined) return undefined;
    const code = found[0].code.toString('utf8');
    this.codeCache.set(codeHash, code);
    return code;
  }

  async setActiveVersion(app: string, name: string, version: number): Promise<FunctionRecord> {
    const row = await withTransaction(this.#pool, async (c) => {
      const fn = await c.query('SELECT 1 FROM functions WHERE app = $1 AND name = $2 FOR UPDATE', [app, name]);
      if (fn.rowCount === 0) throw new NimbusError('FUNCTION_NOT_FOUND', `function "${name}" of app "${app}" does not exist`);
      const v = await c.query('SELECT 1 FROM versions WHERE app = $1 AND name = $2 AND version = $3', [app, name, version]);
      if (v.rowCount === 0) {
        throw new NimbusError('VERSION_NOT_FOUND', `function "${name}" of app "${app}" has no version ${version}: list its versions to pick one`);
      }
      await c.query('UPDATE functions SET active_version = $1, updated_at = $2 WHERE app = $3 AND name = $4', [version, this.#clock(), app, name]);
      return getFn(c, app, name);
    });
    if (row === undefined) throw new NimbusError('INTERNAL', `function "${name}" vanished during rollback`);
    return rows.toFunctionRecord(row);
  }

  createKey(key: ApiKeyRecord): Promise<void> {
    return this.#keys.create(key);
  }
  listKeys(): Promise<ApiKeyRecord[]> {
    return this.#keys.list();
  }
  findKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.#keys.byHash(hash);
  }
  findKeyByAccessKeyId(accessKeyId: string): Promise<ApiKeyRecord | undefined> {
    return this.#keys.byAccessKeyId(accessKeyId);
  }
  resealKeySecrets(secrets: Array<{ id: string; sealedSecret: string }>): Promise<void> {
    return this.#keys.reseal(secrets);
  }
  revokeKey(idOrName: string, at: number): Promise<ApiKeyRecord | undefined> {
    return this.#keys.revoke(idOrName, at);
  }
  touchKey(id: string, at: number): Promise<void> {
    return this.#keys.touch(id, at);
  }
  appendAudit(entry: Omit<AuditEntry, 'seq'>): Promise<void> {
    return this.#keys.append(entry);
  }
  listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.#keys.listAudit(query);
  }
  pruneAudit(before: number): Promise<number> {
    return this.#keys.pruneAudit(before);
  }

  setAlias(alias: Omit<AliasRecord, 'createdAt' | 'updatedAt'>): Promise<AliasRecord> {
    return this.#aliases.set(alias, this.#clock());
  }
  listAliases(app?: string, fn?: string): Promise<AliasRecord[]> {
    return this.#aliases.list(app, fn);
  }
  deleteAlias(app: string, fn: string, name: string): Promise<boolean> {
    return this.#aliases.delete(app, fn, name);
  }
  saveCanary(canary: CanaryRecord): Promise<void> {
    return this.#aliases.saveCanary(canary);
  }

  checkpointCanary(canary: CanaryRecord): Promise<boolean> {
    return this.#aliases.checkpointCanary(canary);
  }
  getCanary(app: string): Promise<CanaryRecord | undefined> {
    return this.#aliases.getCanary(app);
  }
  runningCanaries(): Promise<CanaryRecord[]> {
    return this.#aliases.running();
  }

  /** Nothing of its own to stop: the pool belongs to the backend. */
  async close(): Promise<void> {}

  /** Delete bundles no version references, and forget them here. */
  async #collectCode(): Promise<void> {
    const gone = await withTransaction(this.#pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK.codeGc]);
      const { rows: deleted } = await c.query<{ code_hash: string }>('DELETE FROM code WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.code_hash = code.code_hash) RETURNING code_hash');
      return deleted;
    });
    for (const r of gone) this.codeCache.delete(r.code_hash);
  }
}

async function lockApp(c: PgClient, app: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.app, app]);
}

async function getFn(q: PgPool | PgClient, app: string, name: string): Promise<rows.FunctionRow | undefined> {
  const { rows: found } = await q.query<rows.FunctionRow>(`${FN_SELECT} WHERE f.app = $1 AND f.name = $2`, [app, name]);
  return found[0];
}

/**
 * One deploy, inside the transaction that holds the app's lock: a function keeps its active
 * version when the hash is unchanged, otherwise gets version latest+1 (active at once unless
 * keepActive); unlisted functions are deleted. Same rules as the SQLite store's deployTx.
 */
async function deployTx(c: PgClient, app: string, functions: readonly DeployFunctionInput[], now: number, keepActive: boolean): Promise<DeployAppResult> {
  await c.query('INSERT INTO apps (name, created_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at', [app, now]);
  const { rows: current } = await c.query<rows.FunctionRow>(`${FN_SELECT} WHERE f.app = $1 ORDER BY f.name`, [app]);
  const existing = new Map(current.map((row) => [row.name, row]));
  const results: DeployFunctionResult[] = [];
  for (const fn of functions) {
    const held = existing.get(fn.name);
    if (held !== undefined && held.hash === fn.hash) {
      results.push({ name: fn.name, version: held.active_version, created: false });
      continue;
    }
    const version = held === undefined ? 1 : held.latest_version + 1;
    // Look first: a bundle most deploys already stored is not sent over the wire again.
    const stored = await c.query('SELECT 1 FROM code WHERE code_hash = $1', [fn.codeHash]);
    if (stored.rowCount === 0) {
      await c.query('INSERT INTO code (code_hash, code) VALUES ($1, $2) ON CONFLICT DO NOTHING', [fn.codeHash, Buffer.from(fn.code, 'utf8')]);
    }
    if (held === undefined) {
      await c.query('INSERT INTO functions (app, name, active_version, latest_version, created_at, updated_at) VALUES ($1, $2, 1, 1, $3, $3)', [app, fn.name, now]);
    }
    await c.query('INSERT INTO versions (app, name, version, hash, code_hash, code_size, config, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      app,
      fn.name,
      version,
      fn.hash,
      fn.codeHash,
      byteLength(fn.code),
      JSON.stringify(fn.config),
      now,
    ]);
    // A canary (keepActive) moves only the latest pointer: the active version keeps serving.
    if (held !== undefined) {
      await c.query('UPDATE functions SET active_version = $1, latest_version = $2, updated_at = $3 WHERE app = $4 AND name = $5', [
        keepActive ? held.active_version : version,
        version,
        now,
        app,
        fn.name,
      ]);
    }
    results.push({ name: fn.name, version, created: true });
  }
  const wanted = new Set(functions.map((fn) => fn.name));
  const removed = [...existing.keys()].filter((name) => !wanted.has(name)).sort();
  if (removed.length > 0) await c.query('DELETE FROM functions WHERE app = $1 AND name = ANY($2::text[])', [app, removed]);
  return { app, functions: results, removed };
}

/**
 * The in-memory Store for unit tests: same behaviour as SqliteStore (the contract suite holds
 * both to it), nothing durable. Values are cloned in and out so a caller mutating a returned
 * object cannot change the store, as with a real database.
 */
import type { AliasRecord, ApiKeyRecord, AuditEntry, CanaryRecord, FunctionRecord, FunctionVersion, InvocationRecord, LogLine } from '../domain/index.js';
import { MemoryKeys } from './memory-keys.js';
import { MemoryAliases } from './memory-aliases.js';
import { withConfigDefaults } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import type { AppSummary, DeployAppResult, DeployFunctionInput, DeployOptions, DeployFunctionResult, InvocationQuery, LogPage, LogQuery, Store, AuditQuery } from './port.js';
import { assertUniqueNames, byteLength, clampLimit, cutLine, INVOCATION_LIMIT, LOG_LIMIT, LOG_LINE_READ_CHARS, takeLogPage } from './rules.js';
import { addRollup, emptyRollup, matchesRollup, netChange, rollupDeltas, type MinuteRollup, type RollupQuery } from './rollups.js';

export interface MemoryStoreOptions {
  /** Epoch ms for created/updated stamps; injectable so tests fake time. */
  clock?: () => number;
}

interface AppEntry {
  createdAt: number;
  updatedAt: number;
}

interface FunctionEntry {
  app: string;
  name: string;
  activeVersion: number;
  latestVersion: number;
  createdAt: number;
  updatedAt: number;
  /** Index i holds version i + 1. */
  versions: FunctionVersion[];
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class MemoryStore implements Store {
  readonly #clock: () => number;
  readonly #keys = new MemoryKeys();
  readonly #aliases = new MemoryAliases();
  readonly #apps = new Map<string, AppEntry>();
  /** Keyed by app, then function name. */
  readonly #functions = new Map<string, Map<string, FunctionEntry>>();
  readonly #code = new Map<string, string>();
  /** In insertion order, which breaks ties between equal start times. */
  readonly #invocations = new Map<string, InvocationRecord>();
  #logs: LogLine[] = [];
  readonly #rollups = new Map<string, MinuteRollup>();
  /** Never reset, even by pruning, so a follower's cursor never skips lines. */
  #lastSeq = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.#clock = options.clock ?? Date.now;
  }

  async deployApp(app: string, functions: DeployFunctionInput[], options: DeployOptions = {}): Promise<DeployAppResult> {
    // Everything that can throw runs before the first write, which is what makes this atomic.
    assertUniqueNames(app, functions);
    const inputs = structuredClone(functions);
    const now = this.#clock();
    const appEntry = this.#apps.get(app);
    if (appEntry === undefined) this.#apps.set(app, { createdAt: now, updatedAt: now });
    else appEntry.updatedAt = now;
    const fns = this.#functions.get(app) ?? new Map<string, FunctionEntry>();
    this.#functions.set(app, fns);

    const results: DeployFunctionResult[] = [];
    for (const fn of inputs) {
      const current = fns.get(fn.name);
      if (current !== undefined && activeOf(current).hash === fn.hash) {
        results.push({ name: fn.name, version: current.activeVersion, created: false });
        continue;
      }
      const entry = current ?? {
        app,
        name: fn.name,
        activeVersion: 0,
        latestVersion: 0,
        createdAt: now,
        updatedAt: now,
        versions: [],
      };
      const version = entry.latestVersion + 1;
      if (!this.#code.has(fn.codeHash)) this.#code.set(fn.codeHash, fn.code);
      entry.versions.push({
        app,
        name: fn.name,
        version,
        hash: fn.hash,
        codeHash: fn.codeHash,
        codeSize: byteLength(fn.code),
        config: withConfigDefaults(fn.config),
        createdAt: now,
      });
      // A canary keeps an existing function's active version; a new function has no other.
      if (!options.keepActive || current === undefined) entry.activeVersion = version;
      entry.latestVersion = version;
      entry.updatedAt = now;
      fns.set(fn.name, entry);
      results.push({ name: fn.name, version, created: true });
    }
    const wanted = new Set(inputs.map((fn) => fn.name));
    const removed = [...fns.keys()].filter((name) => !wanted.has(name)).sort(byString);
    for (const name of removed) {
      fns.delete(name);
      this.#aliases.dropFunction(app, name);
    }
    if (removed.length > 0) this.#collectCode();
    return { app, functions: results, removed };
  }

  async listApps(): Promise<AppSummary[]> {
    return [...this.#apps.entries()]
      .sort(([a], [b]) => byString(a, b))
      .map(([app, entry]) => ({
        app,
        functions: this.#functions.get(app)?.size ?? 0,
        createdAt: entry.createdAt,
        updatedAt: entry.updatedAt,
      }));
  }

  async listFunctions(app?: string): Promise<FunctionRecord[]> {
    const apps = app === undefined ? [...this.#functions.keys()].sort(byString) : [app];
    return apps.flatMap((a) => [...(this.#functions.get(a)?.values() ?? [])].sort((x, y) => byString(x.name, y.name)).map(toRecord));
  }

  async getFunction(app: string, name: string): Promise<FunctionRecord | undefined> {
    const entry = this.#functions.get(app)?.get(name);
    return entry === undefined ? undefined : toRecord(entry);
  }

  async deleteFunction(app: string, name: string): Promise<boolean> {
    const deleted = this.#functions.get(app)?.delete(name) ?? false;
    if (deleted) this.#collectCode();
    if (deleted) this.#aliases.dropFunction(app, name);
    return deleted;
  }

  async deleteApp(app: string): Promise<boolean> {
    if (!this.#apps.delete(app)) return false;
    this.#functions.delete(app);
    this.#aliases.dropFunction(app);
    this.#collectCode();
    return true;
  }

  async listVersions(app: string, name: string): Promise<FunctionVersion[]> {
    return structuredClone(this.#functions.get(app)?.get(name)?.versions ?? []);
  }

  async getVersion(app: string, name: string, version: number): Promise<FunctionVersion | undefined> {
    const found = this.#functions.get(app)?.get(name)?.versions[version - 1];
    return found === undefined ? undefined : structuredClone(found);
  }

  async getCode(codeHash: string): Promise<string | undefined> {
    return this.#code.get(codeHash);
  }

  async setActiveVersion(app: string, name: string, version: number): Promise<FunctionRecord> {
    const entry = this.#functions.get(app)?.get(name);
    if (entry === undefined) {
      throw new NimbusError('FUNCTION_NOT_FOUND', `function "${name}" of app "${app}" does not exist`);
    }
    if (entry.versions[version - 1] === undefined) {
      throw new NimbusError('VERSION_NOT_FOUND', `function "${name}" of app "${app}" has no version ${version}: list its versions to pick one`);
    }
    entry.activeVersion = version;
    entry.updatedAt = this.#clock();
    return toRecord(entry);
  }

  async insertInvocations(records: InvocationRecord[]): Promise<void> {
    // The latest attempt (by start time) wins on a repeated id, as in SQLite: an async event's
    // retries share its id, and re-applying an older batch changes nothing.
    const { added, replaced } = netChange(records, (id) => this.#invocations.get(id));
    for (const d of rollupDeltas(added, replaced)) {
      const key = `${d.app}\0${d.function}\0${d.minute}`;
      const row = this.#rollups.get(key) ?? emptyRollup(d.app, d.function, d.minute);
      this.#rollups.set(key, addRollup(row, d));
    }
    for (const r of records) {
      const held = this.#invocations.get(r.id);
      if (held === undefined || r.startedAt >= held.startedAt) this.#invocations.set(r.id, { ...r });
    }
  }

  async queryRollups(query: RollupQuery): Promise<MinuteRollup[]> {
    const found = [...this.#rollups.values()].filter((r) => matchesRollup(r, query));
    found.sort((a, b) => a.minute - b.minute || a.app.localeCompare(b.app) || a.function.localeCompare(b.function));
    return found.map((r) => ({ ...r, histogram: r.histogram.slice() }));
  }

  async getInvocation(id: string): Promise<InvocationRecord | undefined> {
    const found = this.#invocations.get(id);
    return found === undefined ? undefined : { ...found };
  }

  async listInvocations(query: InvocationQuery): Promise<InvocationRecord[]> {
    const before = query.before ?? Number.MAX_SAFE_INTEGER;
    const matches = [...this.#invocations.values()].filter((r) => r.app === query.app && r.function === query.function && r.startedAt < before);
    // Reverse first so the stable sort leaves equal start times newest insert first.
    matches.reverse().sort((a, b) => b.startedAt - a.startedAt);
    return matches.slice(0, clampLimit(query.limit, INVOCATION_LIMIT)).map((r) => ({ ...r }));
  }

  async appendLogs(lines: LogLine[]): Promise<void> {
    for (const line of lines) this.#logs.push({ ...line, seq: ++this.#lastSeq });
  }

  async queryLogs(query: LogQuery): Promise<LogPage> {
    const after = query.afterSeq ?? 0;
    const limit = clampLimit(query.limit, LOG_LIMIT);
    const logs = this.#logs;
    function* matching(): Generator<LogLine> {
      for (const l of logs) {
        if (l.seq <= after || l.app !== query.app || l.function !== query.function) continue;
        if (query.invocationId !== undefined && l.invocationId !== query.invocationId) continue;
        if (l.line.length <= LOG_LINE_READ_CHARS) yield { ...l };
        else {
          const cps = Array.from(l.line);
          yield { ...l, line: cutLine(cps.slice(0, LOG_LINE_READ_CHARS).join(''), cps.length) };
        }
      }
    }
    return takeLogPage(matching(), limit);
  }

  async pruneBefore(epochMs: number): Promise<number> {
    let deleted = 0;
    for (const [id, r] of this.#invocations) {
      if (r.startedAt < epochMs) {
        this.#invocations.delete(id);
        deleted++;
      }
    }
    const kept = this.#logs.filter((l) => l.ts >= epochMs);
    deleted += this.#logs.length - kept.length;
    this.#logs = kept;
    return deleted;
  }

  async createKey(key: ApiKeyRecord): Promise<void> {
    this.#keys.create(key);
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    return this.#keys.list();
  }

  async findKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.#keys.byHash(hash);
  }

  async findKeyByAccessKeyId(accessKeyId: string): Promise<ApiKeyRecord | undefined> {
    return this.#keys.byAccessKeyId(accessKeyId);
  }

  async resealKeySecrets(rows: Array<{ id: string; sealedSecret: string }>): Promise<void> {
    this.#keys.reseal(rows);
  }

  async revokeKey(idOrName: string, at: number): Promise<ApiKeyRecord | undefined> {
    return this.#keys.revoke(idOrName, at);
  }

  async touchKey(id: string, at: number): Promise<void> {
    this.#keys.touch(id, at);
  }

  async appendAudit(entry: Omit<AuditEntry, 'seq'>): Promise<void> {
    this.#keys.append(entry);
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.#keys.listAudit(query);
  }

  async pruneAudit(before: number): Promise<number> {
    return this.#keys.pruneAudit(before);
  }

  async setAlias(alias: Omit<AliasRecord, 'createdAt' | 'updatedAt'>): Promise<AliasRecord> {
    const entry = this.#functions.get(alias.app)?.get(alias.function);
    return this.#aliases.set(alias, this.#clock(), entry && ((v) => entry.versions[v - 1] !== undefined));
  }

  async listAliases(app?: string, fn?: string): Promise<AliasRecord[]> {
    return this.#aliases.list(app, fn);
  }

  async deleteAlias(app: string, fn: string, name: string): Promise<boolean> {
    return this.#aliases.delete(app, fn, name);
  }

  async saveCanary(canary: CanaryRecord): Promise<void> {
    if (!this.#apps.has(canary.app)) throw new NimbusError('APP_NOT_FOUND', `no app named "${canary.app}"`);
    this.#aliases.saveCanary(canary);
  }

  async checkpointCanary(canary: CanaryRecord): Promise<boolean> {
    return this.#aliases.checkpointCanary(canary);
  }

  async getCanary(app: string): Promise<CanaryRecord | undefined> {
    return this.#aliases.getCanary(app);
  }

  async runningCanaries(): Promise<CanaryRecord[]> {
    return this.#aliases.running();
  }

  async close(): Promise<void> {}

  /** Drop bundles no version references any more. */
  #collectCode(): void {
    const used = new Set<string>();
    for (const fns of this.#functions.values()) {
      for (const fn of fns.values()) for (const v of fn.versions) used.add(v.codeHash);
    }
    for (const hash of this.#code.keys()) if (!used.has(hash)) this.#code.delete(hash);
  }
}

function activeOf(entry: FunctionEntry): FunctionVersion {
  const active = entry.versions[entry.activeVersion - 1];
  if (active === undefined) throw new NimbusError('INTERNAL', `function "${entry.name}" lost its active version`);
  return active;
}

function toRecord(entry: FunctionEntry): FunctionRecord {
  return {
    app: entry.app,
    name: entry.name,
    activeVersion: entry.activeVersion,
    latestVersion: entry.latestVersion,
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
    active: structuredClone(activeOf(entry)),
  };
}

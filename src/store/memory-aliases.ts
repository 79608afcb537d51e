/** The alias and canary half of MemoryStore: same answers as sqlite-aliases.ts (the contract suite checks). */
import type { AliasRecord, CanaryRecord } from '../domain/index.js';
import { aliasVersionMissing, functionMissing } from './rules.js';

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class MemoryAliases {
  readonly #aliases = new Map<string, AliasRecord>();
  readonly #canaries = new Map<string, CanaryRecord>();

  /** `hasVersion(v)`: undefined when the function does not exist. */
  set(alias: Omit<AliasRecord, 'createdAt' | 'updatedAt'>, now: number, hasVersion: ((v: number) => boolean) | undefined): AliasRecord {
    if (!hasVersion) throw functionMissing(alias.app, alias.function);
    for (const v of [alias.version, ...(alias.weighted ? [alias.weighted.version] : [])]) {
      if (!hasVersion(v)) throw aliasVersionMissing(alias.app, alias.function, v);
    }
    const k = key(alias.app, alias.function, alias.name);
    const before = this.#aliases.get(k);
    const stored: AliasRecord = { ...structuredClone(alias), createdAt: before?.createdAt ?? now, updatedAt: now };
    this.#aliases.set(k, stored);
    return structuredClone(stored);
  }

  list(app?: string, fn?: string): AliasRecord[] {
    return [...this.#aliases.values()]
      .filter((a) => (app === undefined || a.app === app) && (fn === undefined || a.function === fn))
      .sort((a, b) => byString(a.app, b.app) || byString(a.function, b.function) || byString(a.name, b.name))
      .map((a) => structuredClone(a));
  }

  delete(app: string, fn: string, name: string): boolean {
    return this.#aliases.delete(key(app, fn, name));
  }

  /** The function is gone (or its app, `fn` undefined): its aliases go with it, as the SQL cascade does. */
  dropFunction(app: string, fn?: string): void {
    for (const [k, a] of this.#aliases) if (a.app === app && (fn === undefined || a.function === fn)) this.#aliases.delete(k);
    if (fn === undefined) this.#canaries.delete(app);
  }

  saveCanary(c: CanaryRecord): void {
    this.#canaries.set(c.app, structuredClone(c));
  }

  checkpointCanary(c: CanaryRecord): boolean {
    const stored = this.#canaries.get(c.app);
    if (stored?.state !== 'running' || stored.startedAt !== c.startedAt) return false;
    stored.functions = structuredClone(c.functions);
    return true;
  }

  getCanary(app: string): CanaryRecord | undefined {
    const c = this.#canaries.get(app);
    return c && structuredClone(c);
  }

  running(): CanaryRecord[] {
    return [...this.#canaries.values()]
      .filter((c) => c.state === 'running')
      .sort((a, b) => byString(a.app, b.app))
      .map((c) => structuredClone(c));
  }
}

function key(app: string, fn: string, name: string): string {
  return `${app}\u0000${fn}\u0000${name}`;
}

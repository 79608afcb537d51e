/** The key and audit half of MemoryStore: same answers as sqlite-keys.ts (the contract suite checks). */
import type { ApiKeyRecord, AuditEntry } from '../domain/index.js';
import type { AuditQuery } from './port.js';
import { AUDIT_LIMIT, clampLimit, duplicateKeyName } from './rules.js';

export class MemoryKeys {
  readonly #keys: ApiKeyRecord[] = [];
  readonly #audit: AuditEntry[] = [];

  create(key: ApiKeyRecord): void {
    if (this.#keys.some((k) => k.revokedAt === null && k.name === key.name)) throw duplicateKeyName(key.name);
    this.#keys.push(structuredClone(key));
  }

  list(): ApiKeyRecord[] {
    return structuredClone(this.#keys);
  }

  byHash(hash: string): ApiKeyRecord | undefined {
    const k = this.#keys.find((x) => x.hash === hash);
    return k && structuredClone(k);
  }

  byAccessKeyId(accessKeyId: string): ApiKeyRecord | undefined {
    const k = this.#keys.find((x) => x.aws?.accessKeyId === accessKeyId);
    return k && structuredClone(k);
  }

  reseal(rows: Array<{ id: string; sealedSecret: string }>): void {
    for (const r of rows) {
      const k = this.#keys.find((x) => x.id === r.id);
      if (k?.aws) k.aws.sealedSecret = r.sealedSecret;
    }
  }

  revoke(idOrName: string, at: number): ApiKeyRecord | undefined {
    const k = this.#keys.find((x) => x.revokedAt === null && (x.id === idOrName || x.name === idOrName));
    if (!k) return undefined;
    k.revokedAt = at;
    return structuredClone(k);
  }

  touch(id: string, at: number): void {
    const k = this.#keys.find((x) => x.id === id);
    if (k) k.lastUsedAt = at;
  }

  #seq = 0;

  append(entry: Omit<AuditEntry, 'seq'>): void {
    this.#audit.push({ ...entry, seq: ++this.#seq });
  }

  pruneAudit(before: number): number {
    const kept = this.#audit.filter((e) => e.ts >= before);
    const deleted = this.#audit.length - kept.length;
    this.#audit.splice(0, this.#audit.length, ...kept);
    return deleted;
  }

  listAudit(q: AuditQuery): AuditEntry[] {
    const apps = q.apps && new Set(q.apps);
    return this.#audit
      .filter(
        (e) => (q.app === undefined || e.app === q.app) && (apps === undefined || (e.app !== null && apps.has(e.app))) && (!q.appsOnly || e.app !== null) && (q.since === undefined || e.ts >= q.since),
      )
      .reverse()
      .slice(0, clampLimit(q.limit, AUDIT_LIMIT))
      .map((e) => ({ ...e }));
  }
}

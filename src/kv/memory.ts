/** In-memory KvStore for unit tests; same contract as SqliteKvStore (see contract.ts). */
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { compareKeys, decodeCursor, encodeCursor, expiresAt, listLimit } from './cursor.js';
import type { KvListResult, KvStore } from './port.js';
import { DEFAULT_KV_QUOTA_BYTES, ownerOf, quotaExceeded } from '../store/usage.js';

interface Entry {
  value: string;
  expiresAt: number | null;
}

export class MemoryKvStore implements KvStore {
  private readonly namespaces = new Map<string, Map<string, Entry>>();
  private readonly clock: Clock;
  private readonly quota: number;
  private readonly used = new Map<string, number>();

  constructor(options: { clock?: Clock; quotaBytes?: number } = {}) {
    this.clock = options.clock ?? systemClock;
    this.quota = options.quotaBytes ?? DEFAULT_KV_QUOTA_BYTES;
  }

  async usage(app: string): Promise<number> {
    return this.used.get(app) ?? 0;
  }

  private add(namespace: string, delta: number): void {
    const app = ownerOf(namespace);
    this.used.set(app, Math.max(0, (this.used.get(app) ?? 0) + delta));
  }

  async get(namespace: string, key: string): Promise<string | null> {
    const entry = this.namespaces.get(namespace)?.get(key);
    return entry && this.live(entry) ? entry.value : null;
  }

  async put(namespace: string, key: string, value: string, options: { ttlSeconds?: number } = {}): Promise<void> {
    const old = this.namespaces.get(namespace)?.get(key);
    const delta = size(key, value) - (old ? size(key, old.value) : 0);
    const used = await this.usage(ownerOf(namespace));
    if (delta > 0 && used + delta > this.quota) throw quotaExceeded('kv', ownerOf(namespace), used, delta, this.quota);
    let ns = this.namespaces.get(namespace);
    if (!ns) this.namespaces.set(namespace, (ns = new Map<string, Entry>()));
    ns.set(key, { value, expiresAt: expiresAt(this.clock.now(), options.ttlSeconds) });
    this.add(namespace, delta);
  }

  async delete(namespace: string, key: string): Promise<void> {
    const old = this.namespaces.get(namespace)?.get(key);
    if (!old) return;
    this.namespaces.get(namespace)?.delete(key);
    this.add(namespace, -size(key, old.value));
  }

  async list(namespace: string, options: { prefix?: string; cursor?: string; limit?: number } = {}): Promise<KvListResult> {
    const prefix = options.prefix ?? '';
    const after = decodeCursor(options.cursor);
    const limit = listLimit(options.limit);
    const names = [...(this.namespaces.get(namespace) ?? new Map<string, Entry>())]
      .filter(([k, e]) => k.startsWith(prefix) && this.live(e) && (after === '' || compareKeys(k, after) > 0))
      .sort(([a], [b]) => compareKeys(a, b));
    const page = names.slice(0, limit);
    const last = page.at(-1);
    return {
      keys: page.map(([name, e]) => ({ name, expiration: e.expiresAt })),
      cursor: names.length > limit && last ? encodeCursor(last[0]) : null,
    };
  }

  async deleteNamespace(namespace: string): Promise<number> {
    const ns = this.namespaces.get(namespace);
    this.namespaces.delete(namespace);
    for (const [k, e] of ns ?? []) this.add(namespace, -size(k, e.value));
    return ns ? [...ns.values()].filter((e) => this.live(e)).length : 0;
  }

  /** Forget expired values (they are already invisible); returns how many. */
  sweep(): number {
    let n = 0;
    for (const [name, ns] of this.namespaces) {
      for (const [k, e] of ns) {
        if (this.live(e)) continue;
        ns.delete(k);
        this.add(name, -size(k, e.value));
        n++;
      }
    }
    return n;
  }

  async close(): Promise<void> {
    this.namespaces.clear();
  }

  private live(e: Entry): boolean {
    return e.expiresAt === null || e.expiresAt > this.clock.now();
  }
}

function size(key: string, value: string): number {
  return Buffer.byteLength(key) + Buffer.byteLength(value);
}

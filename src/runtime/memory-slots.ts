/**
 * Slot leases in memory (the SlotLeases of concurrency-gate.ts) for unit tests: one table that
 * several "nodes" share, with the same rules as the PostgreSQL table (pg-slots.ts): a grant never
 * takes the unexpired slots of a function past its limit, expired leases are free, and a renewal
 * does not revive an expired lease. Time comes from the injected clock.
 */
import type { Clock } from '../shared/clock.js';
import type { SlotLeases } from './concurrency-gate.js';

interface Lease {
  slots: number;
  expiresAt: number;
}

export class MemorySlotTable {
  /** `app/fn` → node → lease. */
  readonly rows = new Map<string, Map<string, Lease>>();
  /** Every acquire, for tests that count round trips. */
  acquires = 0;

  constructor(
    private readonly clock: Clock,
    readonly ttlMs = 8000,
  ) {}

  /** The leases of one node. */
  node(nodeId: string): SlotLeases {
    return {
      acquire: async (app, fn, concurrency, total) => {
        this.acquires++;
        const leases = this.leases(app, fn);
        const now = this.clock.now();
        let others = 0;
        for (const [id, l] of leases) if (id !== nodeId && l.expiresAt > now) others += l.slots;
        const held = Math.max(0, Math.min(total, concurrency - others));
        if (held === 0) leases.delete(nodeId);
        else leases.set(nodeId, { slots: held, expiresAt: now + this.ttlMs });
        return held;
      },
      release: async (app, fn, total) => {
        const l = this.leases(app, fn).get(nodeId);
        if (!l) return;
        if (total <= 0) this.leases(app, fn).delete(nodeId);
        else l.slots = Math.min(l.slots, total);
      },
      renew: async () => {
        const now = this.clock.now();
        const alive = new Set<string>();
        for (const [k, leases] of this.rows) {
          const l = leases.get(nodeId);
          if (!l || l.expiresAt <= now) continue;
          l.expiresAt = now + this.ttlMs;
          alive.add(k);
        }
        return alive;
      },
      releaseAll: async () => {
        for (const leases of this.rows.values()) leases.delete(nodeId);
      },
    };
  }

  /** Unexpired slots of a function, all nodes together. */
  total(app: string, fn: string): number {
    const now = this.clock.now();
    let n = 0;
    for (const l of this.leases(app, fn).values()) if (l.expiresAt > now) n += l.slots;
    return n;
  }

  private leases(app: string, fn: string): Map<string, Lease> {
    const k = `${app}/${fn}`;
    let m = this.rows.get(k);
    if (!m) {
      m = new Map();
      this.rows.set(k, m);
    }
    return m;
  }
}

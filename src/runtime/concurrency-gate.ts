/**
 * Global concurrency limits: a function's `concurrency: N` counts instances across every node of
 * a cluster. The runtime asks a ConcurrencyGate how many instances of a function this node may
 * run *now* (`limit`, synchronous: the hot path never waits for I/O), and asks for more when it
 * needs them (`want`, asynchronous and batched). Without a gate (one node) the runtime enforces
 * `concurrency` locally, exactly as before.
 *
 * LeasedGate keeps a local count of slots per function, leased from a SlotLeases store (the
 * PostgreSQL table in pg-slots.ts). One slot is one instance. A function's slots go through:
 *
 *   none ──want──▶ asking ──granted──▶ held (tokens served locally, no round trip per request)
 *                    │                   │  ▲
 *                    │ cluster full      │  └── want more (only when every held slot is used)
 *                    ▼                   ▼
 *                 full for FULL_MS     surplus (held > in use) for IDLE_MS ──▶ released down to in use
 *
 * An ask asks for a small batch more than needed (never beyond N: the store caps it), so a burst
 * costs one round trip, not one per request. Every RENEW_MS the node extends all its leases; a
 * node that dies stops renewing and its slots come back once its leases expire (the store's TTL).
 * While a function is "full" the runtime throttles at once (429, or the event stays queued)
 * instead of asking the database again for every request.
 */
import type { Clock } from '../shared/clock.js';

export interface ConcurrencyGate {
  /** Instances this node may run for the function now: the slots it holds (no I/O). */
  limit(app: string, fn: string): number;
  /** Whether a recent ask found the cluster at the function's limit (throttle without asking again). */
  full(app: string, fn: string): boolean;
  /** Ask (asynchronously) for slots so that this node may run `total` instances of a function limited to `concurrency`. */
  want(app: string, fn: string, concurrency: number, total: number): void;
  /** This node uses `inUse` of its slots (the runtime's tick): a surplus unused for a while goes back (`now`: at once, the function is gone). */
  release(app: string, fn: string, inUse: number, now?: boolean): void;
  /** Called after every answer to `want` (granted or not), so waiting requests can move. */
  listen(onChange: (app: string, fn: string) => void): void;
  close(): Promise<void>;
}

/** Where slots are leased: one row per (function, node) with an expiry. */
export interface SlotLeases {
  /** Hold up to `total` slots of a function limited to `concurrency`, within what other nodes hold; returns the slots now held. */
  acquire(app: string, fn: string, concurrency: number, total: number): Promise<number>;
  /** Hold `total` slots (fewer than before; 0 drops the lease). */
  release(app: string, fn: string, total: number): Promise<void>;
  /** Extend every lease of this node; returns the keys (`app/fn`) still held (the others expired). */
  renew(): Promise<Set<string>>;
  /** Drop every lease of this node. */
  releaseAll(): Promise<void>;
}

export interface LeasedGateOptions {
  leases: SlotLeases;
  clock: Clock;
  /** Slots asked for beyond the need, so a burst costs one round trip (default 1). */
  batch?: number;
  /** Surplus slots go back after this long unused, ms (default 1000). */
  idleMs?: number;
  /** After a refusal, asks wait this long (requests over the local slots are throttled), ms (default 500). */
  fullMs?: number;
  /** Lease renewal period, ms (default 2000; the store's TTL must be several times longer); 0 = no timer (tests call renew()). */
  renewMs?: number;
  log?: (line: string) => void;
}

interface Slots {
  held: number;
  /** Total asked for while an ask was in flight: asked again when it returns. */
  desired: number;
  asking: boolean;
  /** The function's `concurrency` as last wanted (a redeploy may change it). */
  concurrency: number;
  fullUntil: number;
  /** Since when the node has held more than it used (undefined: no surplus). */
  surplusSince: number | undefined;
  releasing: boolean;
}

export class LeasedGate implements ConcurrencyGate {
  private readonly slots = new Map<string, Slots>();
  private readonly listeners: Array<(app: string, fn: string) => void> = [];
  private readonly timer: NodeJS.Timeout | undefined;
  /** Asks in flight: close waits for them, so none commits a lease after the node dropped its leases. */
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly o: LeasedGateOptions) {
    const renewMs = o.renewMs ?? 2000;
    if (renewMs > 0) {
      this.timer = setInterval(() => void this.renew(), renewMs);
      this.timer.unref();
    }
  }

  limit(app: string, fn: string): number {
    return this.slots.get(key(app, fn))?.held ?? 0;
  }

  full(app: string, fn: string): boolean {
    const s = this.slots.get(key(app, fn));
    return s !== undefined && !s.asking && this.o.clock.now() < s.fullUntil;
  }

  want(app: string, fn: string, concurrency: number, total: number): void {
    if (this.closed) return;
    const s = this.entry(app, fn);
    if (total <= s.held) return;
    s.desired = Math.max(s.desired, total);
    s.concurrency = concurrency;
    // One ask at a time per function; a release in flight asks when it is done.
    if (s.asking || s.releasing || this.o.clock.now() < s.fullUntil) return;
    void this.ask(app, fn, s);
  }

  release(app: string, fn: string, inUse: number, atOnce = false): void {
    const s = this.slots.get(key(app, fn));
    if (!s || s.asking || s.releasing || this.closed) return;
    const now = this.o.clock.now();
    if (inUse >= s.held) {
      s.surplusSince = undefined;
      return;
    }
    s.surplusSince ??= now;
    if (!atOnce && now - s.surplusSince < (this.o.idleMs ?? 1000)) return;
    s.releasing = true;
    s.surplusSince = undefined;
    const keep = Math.max(0, inUse);
    this.o.leases.release(app, fn, keep).then(
      () => {
        s.releasing = false;
        s.held = Math.min(s.held, keep);
        if (s.desired > s.held && !this.closed) void this.ask(app, fn, s);
        else if (s.held === 0) this.slots.delete(key(app, fn));
      },
      (err: Error) => {
        s.releasing = false;
        this.o.log?.(`concurrency slots of ${app}/${fn}: release failed (${err.message}); the lease expires on its own`);
      },
    );
  }

  listen(onChange: (app: string, fn: string) => void): void {
    this.listeners.push(onChange);
  }

  /** Extend this node's leases; a lease that expired meanwhile (the database was out of reach) is lost. */
  async renew(): Promise<void> {
    // Nothing held, nothing to renew: a node without limited functions sends no query.
    if (this.closed || ![...this.slots.values()].some((s) => s.held > 0 || s.asking)) return;
    try {
      const alive = await this.o.leases.renew();
      for (const [k, s] of this.slots) {
        if (s.held > 0 && !s.asking && !alive.has(k)) {
          this.o.log?.(`concurrency slots of ${k}: the lease expired before it was renewed; asking again`);
          s.held = 0;
        }
      }
    } catch (err) {
      this.o.log?.(`concurrency slots: renewal failed (${(err as Error).message}); retrying`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.slots.clear();
    await Promise.all(this.inFlight);
    await this.o.leases.releaseAll().catch((err: Error) => this.o.log?.(`concurrency slots: release on close failed (${err.message}); the leases expire on their own`));
  }

  private async ask(app: string, fn: string, s: Slots): Promise<void> {
    s.asking = true;
    const need = s.desired;
    let held = s.held;
    const asked = this.o.leases.acquire(app, fn, s.concurrency, Math.min(s.concurrency, need + (this.o.batch ?? 1))).then(
      (n) => void (held = n),
      (err: Error) => this.o.log?.(`concurrency slots of ${app}/${fn}: the ask failed (${err.message})`),
    );
    this.inFlight.add(asked);
    await asked;
    this.inFlight.delete(asked);
    s.asking = false;
    if (this.closed) return;
    s.held = held;
    if (held < need) {
      // The cluster is at the limit (or the database out of reach): stop asking for a moment.
      s.fullUntil = this.o.clock.now() + (this.o.fullMs ?? 500);
      s.desired = 0;
    } else if (s.desired <= held) {
      s.desired = 0;
    }
    for (const l of this.listeners) l(app, fn);
    // More was wanted while this ask was in flight.
    if (s.desired > s.held && !s.asking) void this.ask(app, fn, s);
  }

  private entry(app: string, fn: string): Slots {
    const k = key(app, fn);
    let s = this.slots.get(k);
    if (!s) {
      s = { held: 0, desired: 0, asking: false, concurrency: 0, fullUntil: 0, surplusSince: undefined, releasing: false };
      this.slots.set(k, s);
    }
    return s;
  }
}

function key(app: string, fn: string): string {
  return `${app}/${fn}`;
}

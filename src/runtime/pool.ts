/**
 * The warm pool: generic sandbox processes, started and warmed up before anyone needs them, one
 * small stack per memory size (the V8 heap limit is fixed at process start). A cold start takes one
 * and only loads the function's bundle into it (~1 ms) instead of starting Node (~60 ms of CPU).
 *
 * Every process start goes through the node's SpawnBudget: refills at low priority, processes
 * the runtime asks for (`acquire`, requests are waiting) at high priority. A refill starts a little
 * after a take, so its CPU does not compete with the cold request that just took a process.
 *
 * The pool grows ahead of demand: every take that finds it empty ("ran dry") raises the target
 * for that size by one, up to `maxSize`, and refills run in parallel as far as the budget allows;
 * after `shrinkAfterMs` without running dry the target steps back down towards `size`.
 *
 * `acquire` gives whichever comes first: a refill that finishes, or a process spawned for the
 * caller once the budget has a permit for it.
 */
import type { Clock } from '../shared/clock.js';
import type { Permit, SpawnBudget, SpawnRequest } from './spawn-budget.js';
import type { SandboxTransport, SpawnSandbox } from './transport.js';

export interface WarmPoolOptions {
  spawn: SpawnSandbox;
  budget: SpawnBudget;
  clock: Clock;
  /** Ready processes to keep per memory size. 0 disables the pool (every start spawns). */
  size: number;
  /** The most a size's target grows to after running dry. Default 4 × size. */
  maxSize?: number;
  /** At most this many memory sizes are kept warm (most recently wanted first). */
  maxSizes?: number;
  /** Delay before a refill starts after a take, ms. */
  refillDelayMs?: number;
  /** The target steps down by one after this long without running dry, ms. */
  shrinkAfterMs?: number;
  log?: (line: string) => void;
}

/** A process on its way to a caller of `acquire`. */
export interface Acquisition {
  /** The process (starting or ready), or undefined when cancelled or the spawn failed. */
  readonly process: Promise<SandboxTransport | undefined>;
  /** Why no process came, when the spawn failed (set before `process` resolves). */
  readonly error?: Error | undefined;
  cancel(): void;
}

interface Waiter {
  memoryMb: number;
  error?: Error;
  resolve(proc: SandboxTransport | undefined): void;
  request: SpawnRequest;
  done: boolean;
}

interface SizeState {
  ready: SandboxTransport[];
  /** Refills granted or waiting for a permit. */
  refilling: number;
  target: number;
  lastDryAt: number;
}

export class WarmPool {
  private readonly sizes = new Map<number, SizeState>();
  /** Memory sizes to keep warm, most recently wanted last. */
  private wanted: number[] = [];
  private readonly waiters: Waiter[] = [];
  private refillTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private consecutiveFailures = 0;
  /** After a failed spawn, no refill before this (clock ms): 100 ms, doubling to 30 s while spawns keep failing. */
  private retryAt = 0;

  constructor(private readonly options: WarmPoolOptions) {}

  private get maxSize(): number {
    return this.options.maxSize ?? this.options.size * 4;
  }

  /** Keep processes of this memory size warm from now on. */
  want(memoryMb: number): void {
    this.wanted = this.wanted.filter((m) => m !== memoryMb);
    this.wanted.push(memoryMb);
    this.size(memoryMb);
    const max = this.options.maxSizes ?? 4;
    while (this.wanted.length > max) {
      const dropped = this.wanted.shift();
      if (dropped !== undefined) for (const p of this.sizes.get(dropped)?.ready.splice(0) ?? []) void p.stop();
    }
    this.consecutiveFailures = 0;
    this.retryAt = 0;
    this.scheduleRefill(0);
  }

  /** A warm process of this size, or undefined when none is ready. */
  take(memoryMb: number): SandboxTransport | undefined {
    const s = this.size(memoryMb);
    let proc = s.ready.pop();
    while (proc && !proc.isAlive) proc = s.ready.pop();
    if (!proc) this.ranDry(s);
    if (!this.wanted.includes(memoryMb)) this.want(memoryMb);
    else this.scheduleRefill(this.options.refillDelayMs ?? 25);
    return proc;
  }

  /**
   * A process of this size for a start that requests are waiting for: a ready one now, else the
   * first refill to finish or a process spawned under a high-priority permit, whichever is first.
   */
  acquire(memoryMb: number): Acquisition {
    const now = this.take(memoryMb);
    if (now) return { process: Promise.resolve(now), cancel: () => {} };
    let resolve!: (p: SandboxTransport | undefined) => void;
    const process = new Promise<SandboxTransport | undefined>((r) => (resolve = r));
    const request = this.options.budget.request('instance');
    const waiter: Waiter = { memoryMb, resolve, request, done: false };
    this.waiters.push(waiter);
    void request.granted.then((permit) => {
      if (waiter.done || this.closed) return permit.release();
      this.settle(waiter, this.spawnUnder(permit, waiter));
    });
    return {
      process,
      get error() {
        return waiter.error;
      },
      cancel: () => {
        if (waiter.done) return;
        request.cancel();
        this.settle(waiter, undefined);
      },
    };
  }

  /** Processes ready now, per memory size. */
  stats(): Record<number, number> {
    const out: Record<number, number> = {};
    for (const [m, s] of this.sizes) out[m] = s.ready.length;
    return out;
  }

  /** The current target of a size (grows after running dry). */
  target(memoryMb: number): number {
    return this.sizes.get(memoryMb)?.target ?? this.options.size;
  }

  /** Periodic upkeep (the runtime's tick): shrink targets that have not run dry for a while. */
  tick(): void {
    const now = this.options.clock.now();
    // Spawns failed (out of descriptors, processes, memory): try again once the back-off is over.
    if (this.consecutiveFailures > 0 && now >= this.retryAt) this.scheduleRefill(0);
    const after = this.options.shrinkAfterMs ?? 30_000;
    for (const s of this.sizes.values()) {
      if (s.target > this.options.size && now - s.lastDryAt >= after) {
        s.target--;
        s.lastDryAt = now;
        if (s.ready.length > s.target) void s.ready.shift()?.stop();
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refillTimer);
    for (const w of [...this.waiters]) {
      w.request.cancel();
      this.settle(w, undefined);
    }
    const all = [...this.sizes.values()].flatMap((s) => s.ready.splice(0));
    await Promise.all(all.map((p) => p.stop(200)));
  }

  private size(memoryMb: number): SizeState {
    let s = this.sizes.get(memoryMb);
    if (!s) {
      s = { ready: [], refilling: 0, target: this.options.size, lastDryAt: 0 };
      this.sizes.set(memoryMb, s);
    }
    return s;
  }

  private ranDry(s: SizeState): void {
    if (this.options.size <= 0) return;
    s.lastDryAt = this.options.clock.now();
    if (s.target < this.maxSize) s.target++;
  }

  private settle(waiter: Waiter, proc: SandboxTransport | undefined): void {
    if (waiter.done) return;
    waiter.done = true;
    const i = this.waiters.indexOf(waiter);
    if (i !== -1) this.waiters.splice(i, 1);
    waiter.resolve(proc);
  }

  /** Spawn under a permit, released once the process is up or has failed. */
  private spawnUnder(permit: Permit, waiter: Waiter): SandboxTransport | undefined {
    let proc: SandboxTransport;
    try {
      proc = this.options.spawn(waiter.memoryMb);
    } catch (err) {
      permit.release();
      this.failed();
      waiter.error = err instanceof Error ? err : new Error(String(err));
      this.options.log?.(`a sandbox process could not be started: ${waiter.error.message}`);
      return undefined;
    }
    const release = () => permit.release();
    void proc.ready.then(release, release);
    return proc;
  }

  private scheduleRefill(delayMs: number): void {
    if (this.closed || this.options.size <= 0 || this.refillTimer) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.refill();
    }, delayMs);
    this.refillTimer.unref();
  }

  /** Ask for as many refills as the targets need; the budget decides how many run at once. */
  private refill(): void {
    if (this.closed || this.options.clock.now() < this.retryAt) return;
    for (let i = this.wanted.length - 1; i >= 0; i--) {
      const m = this.wanted[i]!;
      const s = this.size(m);
      s.ready = s.ready.filter((p) => p.isAlive);
      while (s.ready.length + s.refilling < s.target) {
        s.refilling++;
        void this.options.budget.request('pool').granted.then((permit) => this.refillOne(m, s, permit));
      }
    }
  }

  private async refillOne(memoryMb: number, s: SizeState, permit: Permit): Promise<void> {
    // Still needed? (A size dropped, the node closing, or the target shrank meanwhile.)
    if (this.closed || !this.wanted.includes(memoryMb) || this.options.clock.now() < this.retryAt || s.ready.length >= s.target + this.waitingFor(memoryMb)) {
      s.refilling--;
      permit.release();
      return;
    }
    let proc: SandboxTransport;
    try {
      proc = this.options.spawn(memoryMb);
      await proc.ready;
      this.consecutiveFailures = 0;
    } catch (err) {
      s.refilling--;
      permit.release();
      this.failed();
      this.options.log?.(`warm pool: a sandbox process failed to start: ${(err as Error).message}`);
      // A broken environment (or one out of descriptors) must not become a hot spawn loop: tick() retries after the back-off.
      return;
    }
    s.refilling--;
    permit.release();
    if (this.closed) {
      void proc.stop();
      return;
    }
    const waiter = this.waiters.find((w) => w.memoryMb === memoryMb && !w.done);
    if (waiter) {
      waiter.request.cancel();
      this.settle(waiter, proc);
      this.scheduleRefill(0);
    } else {
      s.ready.push(proc);
    }
  }

  private failed(): void {
    this.consecutiveFailures++;
    this.retryAt = this.options.clock.now() + Math.min(30_000, 100 * 2 ** (this.consecutiveFailures - 1));
  }

  private waitingFor(memoryMb: number): number {
    let n = 0;
    for (const w of this.waiters) if (w.memoryMb === memoryMb && !w.done) n++;
    return n;
  }
}

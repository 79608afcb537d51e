/**
 * The warm pool: generic sandbox processes, started and warmed up before anyone needs them,
 * one small stack per memory size (the V8 heap limit is fixed at process start). A cold start
 * takes one and only loads the function's bundle into it (~1 ms) instead of starting Node (~60 ms).
 *
 * Refills run one at a time and start a little after a take, so the ~60 ms of CPU a new process
 * costs does not compete with the cold request that just took one (2 cores here).
 */
import type { SandboxProcess } from './sandbox-process.js';

export interface WarmPoolOptions {
  /** Start a sandbox process of this memory size (its `ready` resolves when warm). */
  spawn: (memoryMb: number) => SandboxProcess;
  /** Ready processes to keep per memory size. 0 disables the pool. */
  size: number;
  /** At most this many memory sizes are kept warm (most recently wanted first). */
  maxSizes?: number;
  /** Delay before a refill starts, ms. */
  refillDelayMs?: number;
  log?: (line: string) => void;
}

export class WarmPool {
  private readonly ready = new Map<number, SandboxProcess[]>();
  /** Memory sizes to keep warm, most recently wanted last. */
  private wanted: number[] = [];
  private refilling = false;
  private refillTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private consecutiveFailures = 0;

  constructor(private readonly options: WarmPoolOptions) {}

  /** Keep processes of this memory size warm from now on. */
  want(memoryMb: number): void {
    this.wanted = this.wanted.filter((m) => m !== memoryMb);
    this.wanted.push(memoryMb);
    const max = this.options.maxSizes ?? 4;
    while (this.wanted.length > max) {
      const dropped = this.wanted.shift();
      if (dropped !== undefined) for (const p of this.ready.get(dropped)?.splice(0) ?? []) void p.stop();
    }
    this.scheduleRefill(0);
  }

  /** A warm process of this size, or undefined when none is ready (the caller spawns one). */
  take(memoryMb: number): SandboxProcess | undefined {
    const stack = this.ready.get(memoryMb);
    let proc = stack?.pop();
    while (proc && !proc.isAlive) proc = stack?.pop();
    if (!this.wanted.includes(memoryMb)) this.want(memoryMb);
    else this.scheduleRefill(this.options.refillDelayMs ?? 25);
    return proc;
  }

  /** Processes ready now, per memory size. */
  stats(): Record<number, number> {
    const out: Record<number, number> = {};
    for (const [m, s] of this.ready) out[m] = s.length;
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refillTimer);
    const all = [...this.ready.values()].flat();
    this.ready.clear();
    await Promise.all(all.map((p) => p.stop(200)));
  }

  private scheduleRefill(delayMs: number): void {
    if (this.closed || this.options.size <= 0 || this.refilling || this.refillTimer) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      void this.refill();
    }, delayMs);
    this.refillTimer.unref();
  }

  private nextSizeToFill(): number | undefined {
    for (let i = this.wanted.length - 1; i >= 0; i--) {
      const m = this.wanted[i]!;
      if ((this.ready.get(m)?.filter((p) => p.isAlive).length ?? 0) < this.options.size) return m;
    }
    return undefined;
  }

  private async refill(): Promise<void> {
    this.refilling = true;
    try {
      for (let m = this.nextSizeToFill(); m !== undefined && !this.closed; m = this.nextSizeToFill()) {
        const proc = this.options.spawn(m);
        try {
          await proc.ready;
          this.consecutiveFailures = 0;
        } catch (err) {
          this.consecutiveFailures++;
          this.options.log?.(`warm pool: a sandbox process failed to start: ${(err as Error).message}`);
          // A broken environment must not become a hot spawn loop.
          if (this.consecutiveFailures >= 3) return;
          continue;
        }
        if (this.closed) {
          void proc.stop();
          return;
        }
        const stack = this.ready.get(m) ?? [];
        stack.push(proc);
        this.ready.set(m, stack);
      }
    } finally {
      this.refilling = false;
    }
  }
}

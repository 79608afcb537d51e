/**
 * The demand signal of one function, and the policy that turns it into a number of instances.
 *
 * Demand is concurrency: invocations in flight plus invocations waiting in the function's queue,
 * sampled on every housekeeping tick and averaged over two windows, as Knative's autoscaler does:
 * a short *panic* window that follows a burst within a second, and a longer *stable* window that
 * decides when to scale in, so a short lull does not throw away warm instances.
 *
 * Concurrency alone cannot tell whether more instances would help. On one node, a request for a
 * sub-millisecond function waits in the queue because the gateway and the CPUs are busy, not
 * because its instances are: starting one process per waiting request (Lambda's answer, with a
 * fleet behind it) turns a 2-core machine into a spawn storm. So the policy also looks at *why*
 * instances are occupied. Every answer from the sandbox says how long the invocation ran inside
 * (`ms`) and how much CPU it used (`cpu`); the host knows how long the slot was held. The share of
 * a slot's time spent waiting inside the function (`ms − cpu`, e.g. an `await fetch()` or a
 * `setTimeout`) is the *wait ratio*:
 *
 * - wait ratio high (≥ 0.5): instances are waiting, not busy, so every extra instance adds
 *   throughput: scale to the demand (one slot per in-flight or queued invocation).
 * - wait ratio low: instances compute or sit in the channel; more of them only adds processes that
 *   compete for the same cores. Keep enough to keep every core fed (`floor`, 2 × cores by default)
 *   and no more.
 * - not known yet (fewer than 3 answers, an instance's first answer not counted, as it includes
 *   lazy compilation): treat as waiting, so a burst of first calls
 *   to a slow function scales out at once; the spawn budget paces it and the first answers
 *   correct the estimate.
 *
 * CPU contention also stretches `ms − cpu` (a runnable process waiting for a core looks like it is
 * waiting), so when the node has no idle CPU only a high ratio (≥ 0.8, a function that
 * mostly sleeps) still scales out.
 *
 * A busy host stretches the slot too: the answer of a 100 ms sleeper may take 150 ms to reach the
 * host while it starts processes, which would read as a ratio of 0.66, stop the scale-out that
 * was under way and throttle the requests it was for. So an invocation that waited a long time
 * inside (`LONG_WAIT_MS` or more) is judged on the time inside the sandbox alone: however slow
 * the host is, another instance overlaps that wait. The slot time still rules for short calls,
 * where the channel, not the function, is what a request waits for.
 */

export interface DemandWindows {
  /** Scale-in decisions average demand over this long, ms. */
  stableMs: number;
  /** Scale-out follows the average over this long (and the current queue at once), ms. */
  panicMs: number;
}

export const DEFAULT_WINDOWS: DemandWindows = { stableMs: 10_000, panicMs: 1_000 };

/** Wait ratios at or above this mean "instances are waiting": scale to the demand. */
export const WAITING = 0.5;
/** With no idle CPU on the node, only a ratio this high still scales out. */
export const WAITING_ON_BUSY_NODE = 0.8;
/** Below this wait ratio and slot time, the next invocation may wait inside a busy instance. */
export const SEND_AHEAD_RATIO = 0.2;
export const SEND_AHEAD_MS = 5;
/** How many invocations may wait inside a busy instance of such a function. */
export const SEND_AHEAD = 4;
/** An invocation that waited this long inside is judged on the time inside the sandbox, ms. */
export const LONG_WAIT_MS = 10;
/** Weight of the newest answer in the wait-ratio average. */
const ALPHA = 0.2;

interface Sample {
  t: number;
  c: number;
}

/** Answers needed before the wait ratio is trusted (until then the function counts as waiting). */
const MIN_OBSERVATIONS = 3;

export class Demand {
  private readonly samples: Sample[] = [];
  private ratio: number | undefined;
  private observations = 0;
  /** Average host-measured time a slot is held per invocation, ms (for Retry-After and logs). */
  slotMs: number | undefined;

  constructor(private readonly windows: DemandWindows = DEFAULT_WINDOWS) {}

  /** One tick's sample of concurrency (in flight + queued). */
  sample(now: number, concurrency: number): void {
    this.samples.push({ t: now, c: concurrency });
    const oldest = now - this.windows.stableMs;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop]!.t < oldest) drop++;
    if (drop > 0) this.samples.splice(0, drop);
  }

  /** An invocation answered: `hostMs` the slot was held, `ms`/`cpu` as the sandbox reported them. */
  observe(hostMs: number, ms: number | undefined, cpu: number | undefined): void {
    if (ms === undefined || cpu === undefined || !(hostMs > 0)) return;
    // The sandbox is not trusted: its figures are clamped to what the host saw.
    const inside = Math.min(Math.max(ms, 0), hostMs);
    const waiting = Math.max(0, inside - Math.max(cpu, 0));
    const ratio = waiting / (waiting >= LONG_WAIT_MS ? inside : hostMs);
    this.ratio = this.ratio === undefined ? ratio : this.ratio + ALPHA * (ratio - this.ratio);
    this.observations++;
    this.slotMs = this.slotMs === undefined ? hostMs : this.slotMs + ALPHA * (hostMs - this.slotMs);
  }

  /** Share of slot time spent waiting inside the function; undefined until a few answers came back. */
  get waitRatio(): number | undefined {
    return this.observations >= MIN_OBSERVATIONS ? this.ratio : undefined;
  }

  /**
   * A fast function whose instances compute: worth sending the next invocation ahead to a busy
   * instance (it waits there and starts without the process sleeping in between).
   */
  get sendAhead(): boolean {
    const r = this.waitRatio;
    return r !== undefined && r < SEND_AHEAD_RATIO && this.slotMs !== undefined && this.slotMs < SEND_AHEAD_MS;
  }

  /** Average concurrency over the panic window. */
  panic(now: number): number {
    return this.average(now - this.windows.panicMs);
  }

  /** Average concurrency over the stable window. */
  stable(now: number): number {
    return this.average(now - this.windows.stableMs);
  }

  /** Highest sample over the stable window (scale-in never goes below what was just needed). */
  stablePeak(now: number): number {
    let peak = 0;
    for (const s of this.samples) if (s.t >= now - this.windows.stableMs && s.c > peak) peak = s.c;
    return peak;
  }

  private average(since: number): number {
    let sum = 0;
    let n = 0;
    for (let i = this.samples.length - 1; i >= 0 && this.samples[i]!.t > since; i--) {
      sum += this.samples[i]!.c;
      n++;
    }
    return n === 0 ? 0 : sum / n;
  }
}

export interface DesiredInput {
  /** In flight + queued invocations (now, or averaged over a window). */
  concurrency: number;
  instanceConcurrency: number;
  waitRatio: number | undefined;
  /** Most instances worth having when they are busy rather than waiting. */
  floor: number;
  /** The node has idle CPU right now. */
  cpuIdle: boolean;
}

/**
 * How many instances the function should have for this much concurrency.
 * @example desiredInstances({ concurrency: 50, instanceConcurrency: 1, waitRatio: 0.99, floor: 4, cpuIdle: true }) // 50
 * @example desiredInstances({ concurrency: 50, instanceConcurrency: 1, waitRatio: 0.01, floor: 4, cpuIdle: true }) // 4
 */
export function desiredInstances(d: DesiredInput): number {
  const need = Math.ceil(d.concurrency / d.instanceConcurrency);
  if (need <= 0) return 0;
  const threshold = d.cpuIdle ? WAITING : WAITING_ON_BUSY_NODE;
  if (d.waitRatio === undefined || d.waitRatio >= threshold) return need;
  return Math.min(need, d.floor);
}

/**
 * One function's part of the scheduler: its instances, its wait queue (first in, first out) and
 * its demand signal. The Runtime owns the node-wide parts (limits, the pool, starting and
 * stopping instances); this class answers "which instance takes this request", "how many slots
 * are on their way" and "which waiters have waited too long".
 */
import type { FunctionVersion } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import { Demand, desiredInstances, type DemandWindows } from './demand.js';
import type { Instance } from './instance.js';
import type { Acquisition } from './pool.js';

/** Whether the client of an invocation went away: the gateway answers, the runtime asks. */
export interface Cancellation {
  /** The client is gone (read when the invocation ends, for its record). */
  readonly aborted: boolean;
  /**
   * Call `onAbort` if the client goes away from now on; returns how to stop listening. Only
   * requests that wait in the queue are watched, so the fast path adds no listener.
   */
  watch(onAbort: () => void): () => void;
}

export interface Assignment {
  instance: Instance;
  cold: boolean;
}

export interface Waiter {
  fn: FunctionVersion;
  /** Routed to this version on purpose (an alias, a canary's share, a version asked for): a deploy does not move it to the active one. */
  pinned?: boolean;
  enqueuedAt: number;
  /** How long it may wait for a busy instance, ms (the clock runs once the version has a loaded instance). */
  waitMs: number;
  resolve(a: Assignment | NimbusError): void;
  /** Stop watching for the client going away (it left the queue). */
  unwatch: (() => void) | undefined;
}

export class FunctionState {
  readonly instances = new Set<Instance>();
  active: FunctionVersion | undefined;
  /**
   * Versions besides the active one that take traffic (aliases, a canary's new version): their
   * instances are not drained when the active version changes, and requests for them stay theirs.
   */
  also: FunctionVersion[] = [];
  initFailures = 0;
  backoffUntil = 0;
  lastInitError = '';
  /** Instances kept warm: the active version's minInstances as the runtime granted it within its caps. */
  minKeep = 0;
  queue: Waiter[] = [];
  /** Processes on their way from the pool for new instances of `active`. */
  readonly acquiring = new Set<Acquisition>();
  readonly demand: Demand;

  constructor(windows?: DemandWindows) {
    this.demand = new Demand(windows);
  }

  /**
   * A loaded instance of the version with a free slot, most recently used first; or, when the
   * function has no loaded instance at all, a starting one with a free slot (nothing warm can
   * free up sooner, and riding on its start saves a round trip).
   */
  freeInstance(fn: FunctionVersion): Instance | undefined {
    let best: Instance | undefined;
    let ahead: Instance | undefined;
    let starting: Instance | undefined;
    let anyLoaded = false;
    for (const inst of this.instances) {
      if (!sameVersion(inst.fn, fn)) continue;
      if (inst.state === 'idle' || inst.state === 'busy') anyLoaded = true;
      if (!inst.available) continue;
      if (inst.state === 'starting') starting ??= inst;
      else if (inst.hasFreeSlot) {
        if (!best || inst.lastUsedAt > best.lastUsedAt) best = inst;
      } else if (this.queue.length === 0 && (!ahead || inst.slots < ahead.slots)) ahead = inst;
    }
    if (best) return best;
    if (ahead) return ahead;
    return anyLoaded || this.queue.length > 0 ? undefined : starting;
  }

  /** Free slots of instances starting now, plus those of processes on their way. */
  comingSlots(fn: FunctionVersion): number {
    let n = this.acquiring.size * fn.config.instanceConcurrency;
    for (const inst of this.instances) if (inst.state === 'starting' && sameVersion(inst.fn, fn)) n += inst.capacity - inst.slots;
    return n;
  }

  /** Throttle waiters past their deadline that no start under way will serve. */
  expireWaiters(now: number, cpuIdle: boolean): void {
    if (this.queue.length === 0) return;
    const fn = this.queue[0]!.fn;
    const covered = this.comingSlots(fn);
    // Waiting for a cold start is not waiting for a busy instance: the clock starts once the
    // version has a loaded instance (the first one's readyAt).
    let loadedSince = Infinity;
    for (const inst of this.instances) if (sameVersion(inst.fn, fn) && inst.readyAt !== undefined && inst.state !== 'dead') loadedSince = Math.min(loadedSince, inst.readyAt);
    const keep: Waiter[] = [];
    for (const w of this.queue) {
      const deadline = Math.max(w.enqueuedAt, loadedSince) + w.waitMs;
      if (now < this.backoffUntil) {
        w.resolve(this.backoffError(fn, now));
      } else if (now >= deadline && keep.length >= covered) {
        const waited = now - w.enqueuedAt;
        const ratio = this.demand.waitRatio;
        const why = `${this.instances.size} instance(s), ${this.acquiring.size} starting, ${ratio === undefined ? 'wait ratio not known yet' : `they spend ${Math.round(ratio * 100)}% of their time waiting`}, ${cpuIdle ? 'idle CPU' : 'no idle CPU'} on the node`;
        w.resolve(
          new NimbusError(
            'THROTTLED',
            `${fn.app}/${fn.name}: every instance stayed busy for ${waited} ms (maxQueueWait ${fn.config.maxQueueWait} s) and more would not help now (${why}); retry later`,
            { details: { retryAfter: 1 } },
          ),
        );
      } else {
        keep.push(w);
      }
    }
    this.queue = keep;
  }

  /** Hand queued requests to an instance's free slots (it finished loading, or a slot freed up). */
  dispatch(inst: Instance, sendAhead: number, now: number): void {
    if (inst.state === 'starting') return;
    inst.ahead = this.demand.sendAhead ? sendAhead : 0;
    // Cold: its first invocation, and the request was waiting before the instance was ready.
    this.handOver(inst, now, (w) => inst.served === 0 && inst.readyAt !== undefined && w.enqueuedAt <= inst.readyAt);
  }

  /** Give the oldest waiters of the instance's version its free slots. */
  handOver(inst: Instance, now: number, cold: (w: Waiter) => boolean): void {
    while (inst.available && this.queue.length > 0) {
      const i = this.queue.findIndex((w) => sameVersion(w.fn, inst.fn));
      if (i === -1) return;
      const w = this.queue.splice(i, 1)[0]!;
      const isCold = cold(w);
      w.unwatch?.();
      inst.reserve(now);
      w.resolve({ instance: inst, cold: isCold });
    }
  }

  /**
   * Scale in with the same signal: idle instances beyond what the stable window's peak demand
   * needs (never below minInstances, and the last one waits for its idleTimeout) stop once idle
   * for a panic window; every idle instance stops after the function's idleTimeout.
   */
  scaleIn(now: number, floor: number): void {
    const active = this.active;
    let live = 0;
    for (const inst of this.instances) if (inst.state !== 'draining' && inst.state !== 'dead') live++;
    const needed = active
      ? Math.max(
          this.minKeep,
          1,
          desiredInstances({ concurrency: this.demand.stablePeak(now), instanceConcurrency: active.config.instanceConcurrency, waitRatio: this.demand.waitRatio, floor, cpuIdle: true }),
        )
      : 0;
    // Least recently used first.
    for (const inst of this.idleExtras().reverse()) {
      const idleMs = now - inst.lastUsedAt;
      if (idleMs >= inst.fn.config.idleTimeout * 1000 || (live > needed && idleMs >= 1000)) {
        inst.retire();
        live--;
      }
    }
    // Busy extras too (a burst's guesses, before answers showed a fast function): one a tick drains,
    // the most recently started first (the warmest stay), once it has been up for a second.
    if (active && live > needed) {
      let newest: Instance | undefined;
      for (const inst of this.instances) {
        if (inst.state !== 'busy' || !sameVersion(inst.fn, active) || inst.readyAt === undefined || now - inst.readyAt < 1000) continue;
        if (!newest || inst.readyAt > newest.readyAt!) newest = inst;
      }
      newest?.retire();
    }
  }

  /**
   * Idle instances that may stop (scale-in) or give way to another function at the node limit:
   * all but the `minInstances` warmest of the active version. Most recently used first.
   */
  idleExtras(): Instance[] {
    const idle = [...this.instances].filter((i) => i.state === 'idle').sort((a, b) => b.lastUsedAt - a.lastUsedAt);
    let keep = this.active ? this.minKeep : 0;
    return idle.filter((inst) => {
      if (keep > 0 && this.active !== undefined && sameVersion(inst.fn, this.active)) {
        keep--;
        return false;
      }
      return true;
    });
  }

  /** Whether `fn` is the active version or one of the others that take traffic. */
  serves(fn: FunctionVersion): boolean {
    return (this.active !== undefined && sameVersion(this.active, fn)) || this.also.some((v) => sameVersion(v, fn));
  }

  /** Versions that requests in the queue wait for, the first waiter's first. */
  queuedVersions(): FunctionVersion[] {
    const out: FunctionVersion[] = [];
    for (const w of this.queue) if (!out.some((v) => sameVersion(v, w.fn))) out.push(w.fn);
    return out;
  }

  /** Its instances (and processes on their way) reach the function's `concurrency`. */
  atConcurrencyLimit(fn: FunctionVersion): boolean {
    const limit = fn.config.concurrency;
    return limit !== null && this.countLive() + this.acquiring.size >= limit;
  }

  /** Instances not dead yet (the function's `concurrency` counts these). */
  countLive(): number {
    let n = 0;
    for (const inst of this.instances) if (inst.state !== 'dead') n++;
    return n;
  }

  /** Instances of `fn` that take work or will, plus processes on their way. */
  serving(fn: FunctionVersion): number {
    let n = this.acquiring.size;
    for (const inst of this.instances) if (sameVersion(inst.fn, fn) && inst.state !== 'draining' && inst.state !== 'dead') n++;
    return n;
  }

  /** Invocations handed to instances and not answered yet. */
  inFlight(): number {
    let n = 0;
    for (const inst of this.instances) n += inst.slots;
    return n;
  }

  /** Whether the version has an instance that finished loading. */
  hasLoaded(fn: FunctionVersion): boolean {
    for (const inst of this.instances) if (sameVersion(inst.fn, fn) && (inst.state === 'idle' || inst.state === 'busy')) return true;
    return false;
  }

  backoffError(fn: FunctionVersion, now: number): NimbusError {
    return new NimbusError(
      'FUNCTION_INIT_ERROR',
      `${fn.app}/${fn.name} failed to initialise ${this.initFailures} times in a row (last error: ${this.lastInitError}); Nimbus tries again in ${Math.max(1, Math.ceil((this.backoffUntil - now) / 1000))} s. Fix it and redeploy.`,
    );
  }
}

export function sameVersion(a: FunctionVersion, b: FunctionVersion): boolean {
  return a.version === b.version && a.hash === b.hash;
}

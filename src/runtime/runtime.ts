/**
 * The runtime: runs invocations of function versions on instances, and decides when instances
 * start and stop.
 *
 * Scheduling, per invocation (the policy in full is in ARCHITECTURE.md, "Scheduling"):
 *
 *   free slot on a loaded instance of the version (most recently used first) ─▶ run now
 *   a fast, computing function, nobody queued: room to wait inside a busy one ─▶ sent ahead to it
 *   the function has no loaded instance, one is starting with a free slot    ─▶ ride on it (cold)
 *   a start under way will have a slot for it (the queue is shorter)         ─▶ wait in the queue
 *   the function's `concurrency` or the node's `maxInstances` is reached      ─▶ 429 THROTTLED at once
 *   in a cluster, over the slots this node holds of `concurrency`             ─▶ wait while the gate asks
 *        for more (concurrency-gate.ts); 429 for the excess once the cluster is found full
 *   otherwise                                                                 ─▶ wait in the queue,
 *        and the scaler (demand.ts) decides whether a new instance is worth starting for it
 *
 * The queue (function-state.ts) is per function and first in, first out. A waiting request takes whichever comes
 * first: a slot that frees up on a busy instance, or an instance that finishes starting. It is
 * never tied to a process spawn while a warm instance might free up sooner. A request that waited
 * `maxQueueWait` (or its timeout, when lower) and that no start under way will serve is answered
 * 429 THROTTLED; one whose client has gone is dropped from the queue (CLIENT_CLOSED, never run).
 *
 * Housekeeping on one timer: demand samples, scale-out for queued work, scale-in of idle extras
 * (the stable window's demand, minInstances and idleTimeout), queue deadlines, the memory watch of
 * every live instance, idle ones too (FUNCTION_OOM while busy; an idle one is stopped and its log
 * says why), and a lower CPU priority once an invocation runs long.
 *
 * minInstances are granted within caps (min-instances.ts): an app never keeps more than
 * `minInstancesPerApp` warm, all apps together never more than half the node.
 * Activating a version retires the others' instances (they drain) and moves queued requests to it,
 * except for versions that also take traffic (`serveAlso`: aliases, a canary's new version) and
 * requests routed to one of those on purpose (pinned): they keep their instances and their version.
 */
import { sandboxSize, type FunctionVersion, type InvocationRecord, type LogLine, type LogStream, type TriggerKind } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import { BindingHost, type BindingServices } from './bindings.js';
import { LogGate, type LogQuota } from './log-gate.js';
import { SecretMasker } from '../secrets/mask.js';
import { applyMinInstanceCaps, defaultMinInstancesPerApp } from './min-instances.js';
import { CodeCache } from './code-cache.js';
import type { ConcurrencyGate } from './concurrency-gate.js';
import { desiredInstances, SEND_AHEAD, type DemandWindows } from './demand.js';
import { HopContext } from './hops.js';
import { FunctionState, sameVersion, type Assignment, type Cancellation, type Waiter } from './function-state.js';
import { Instance, type InvocationInput, type InvokeResult } from './instance.js';
import { lambdaEnvironment } from './lambda-env.js';
import { DEFAULT_REGION } from '../domain/index.js';
import type { WarmPool } from './pool.js';
import { buildRecord } from './records.js';
import { endInvocation, startInvocation, withTraceparent } from './trace.js';
import type { Tracer } from '@opentelemetry/api';
import type { ExitInfo, KillReason, SandboxTransport } from './transport.js';
import type { StreamSink } from './stream.js';

export type { Cancellation } from './function-state.js';

export interface ScalingOptions {
  /** Most instances a function gets while its instances compute rather than wait. Default 2 × cores. */
  floor?: number;
  windows?: DemandWindows;
  /** Invocations sent ahead to a busy instance of a fast, computing function. Default 4; 0 = never. */
  sendAhead?: number;
  /** Whether the node has idle CPU (sampled each tick). Default: always idle. */
  cpu?: { sample(): number; idle(): boolean };
}

export interface RuntimeOptions {
  /** Where sandbox processes come from: pre-warmed, or spawned under the node's spawn budget. */
  pool: Pick<WarmPool, 'take' | 'acquire' | 'want' | 'tick'>;
  loadCode: (codeHash: string) => Promise<string | undefined>;
  /**
   * Fit a process to the function it is about to load (cgroup limits, network policy): runs beside
   * the bundle fetch, and the load waits for both. A throw fails the start like a missing bundle.
   */
  prepare?: (proc: SandboxTransport, fn: FunctionVersion) => Promise<void> | void;
  /**
   * The values of a version's `{ secret }` env variables (SecretSource behind it), read when each
   * instance starts; a throw fails the start. They are masked in the instance's captured output.
   */
  secretEnv?: (fn: FunctionVersion) => Promise<Record<string, string>>;
  maxInstances: number;
  clock: Clock;
  /** `logged`: the invocation wrote output (its log then gets a stored REPORT line). */
  onRecord: (record: InvocationRecord, logged: boolean) => void;
  onLog: (line: LogLine) => void;
  /** Housekeeping period, ms; 0 = no timer (tests call `tick()`). */
  tickMs?: number;
  scaling?: ScalingOptions;
  /** What functions' bindings reach (KV, buckets, topics); read at call time. None: every call fails "not available". */
  bindings?: BindingServices;
  /** The node's tracer (tracing/); absent: no spans, only a caller's traceparent is passed on. */
  tracer?: Tracer;
  /** Base64 characters of binding `part`s all instances may buffer at once (default: two largest objects). */
  transferBudget?: number;
  /** Log quotas per invocation and instance (log-gate.ts; defaults 1 MB, 100 lines/s, 16 KB lines). */
  logQuota?: Partial<LogQuota>;
  /** Bytes one streamed response may carry (default MAX_STREAM_BYTES, 20 MB); the 6 MB body limit does not apply to streams. */
  maxStreamBytes?: number;
  /** Instances one app may keep warm with minInstances. Default a quarter of maxInstances (at least 1). */
  minInstancesPerApp?: number;
  /** The AWS region functions see (AWS_REGION, AWS_DEFAULT_REGION). Default us-east-1. */
  region?: string;
  /**
   * Where a function's `concurrency` is counted across the nodes of a cluster (concurrency-gate.ts):
   * the node runs only as many instances as the slots it holds and asks for more when requests
   * need them. Absent (one node): `concurrency` is enforced locally. Closed by its owner, not here.
   */
  concurrencyGate?: ConcurrencyGate;
  log?: (line: string) => void;
}

export interface InvokeMeta {
  id: string;
  trigger: TriggerKind;
  /** Epoch ms the request was accepted. */
  startedAt: number;
  /** performance.now() when the request was accepted (durations count from there). */
  acceptedAt?: number;
  cancel?: Cancellation;
  /** Invocations in the chain that caused this one (queue/port.ts MAX_HOPS); 0 (default) for HTTP and anything from outside. */
  hop?: number;
  /** W3C trace context of the caller (the gateway's span, a queued event's cause); the invocation's span is its child. */
  traceparent?: string;
  /** Where a streamed response goes (stream.ts); without one, a function that streams fails with INVALID_RESPONSE. */
  stream?: StreamSink;
  /** Run exactly this version even when it is neither active nor serving an alias (a version asked for by number). */
  pinned?: boolean;
}

export type InvocationOutcome = { ok: true; record: InvocationRecord; result: Extract<InvokeResult, { ok: true }> } | { ok: false; record: InvocationRecord; error: NimbusError };

/** In a cluster, an idle instance of a function with a `concurrency` limit stops after this long, so its slot can go to another node. */
const IDLE_SLOT_MS = 1000;
/** An invocation running longer than this gets its instance's CPU priority lowered. */
const LONG_RUNNING_MS = 500;
const MB = 1024 * 1024;

export class Runtime {
  private readonly functions = new Map<string, FunctionState>();
  /** Invocations in flight that have written output. */
  private readonly logged = new Set<string>();
  /** The trace context of each traced invocation in flight: what its binding calls continue. */
  private readonly traceparents = new Map<string, string>();
  /** Each live instance's log quotas. */
  private readonly gates = new WeakMap<Instance, LogGate>();
  /** Instances that received secrets: their output and error messages are masked. */
  private readonly maskers = new WeakMap<Instance, SecretMasker>();
  /** Instances counted against maxInstances, plus processes being acquired for new ones. */
  private live = 0;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly code: CodeCache;
  private readonly bindings: BindingHost;
  /** Each instance's chain depth, for the events its binding calls cause (hops.ts). */
  private readonly hops = new WeakMap<Instance, HopContext>();
  private readonly floor: number;
  private readonly cpu: { sample(): number; idle(): boolean };
  private closing = false;
  /** Spawns failed in a row (out of descriptors, processes, memory): new starts wait until `spawnRetryAt` (clock ms). */
  private spawnFailures = 0;
  private spawnRetryAt = 0;

  constructor(private readonly options: RuntimeOptions) {
    this.code = new CodeCache(options.loadCode);
    this.bindings = new BindingHost(options.bindings ?? {}, options.transferBudget, options.tracer);
    this.floor = Math.max(1, options.scaling?.floor ?? 4);
    this.cpu = options.scaling?.cpu ?? { sample: () => 1, idle: () => true };
    options.concurrencyGate?.listen((app, name) => this.slotsChanged(app, name));
    const tickMs = options.tickMs ?? 100;
    if (tickMs > 0) {
      this.timer = setInterval(() => this.tick(), tickMs);
      this.timer.unref();
    }
  }

  /** Make `fn` the version that serves its function: other versions drain, minInstances start. */
  activate(fn: FunctionVersion): void {
    const state = this.state(key(fn.app, fn.name));
    if (state.active?.version !== fn.version || state.active.hash !== fn.hash) {
      state.initFailures = 0;
      state.backoffUntil = 0;
      for (const a of state.acquiring) a.cancel();
    }
    state.active = fn;
    this.grantMinInstances();
    for (const inst of state.instances) if (!state.serves(inst.fn)) inst.retire();
    // Requests already queued go to the new version, as new requests do (zero downtime), except
    // those routed to a version on purpose.
    for (const w of state.queue) if (!w.pinned) w.fn = fn;
    this.options.pool.want(sandboxSize(fn.config));
    this.ensureMinInstances(state);
    this.scale(state);
  }

  /**
   * The versions of a function besides its active one that take traffic (aliases, a canary's new
   * version): requests for them run on them, and their instances are not drained by `activate`.
   * Instances of versions that no longer take traffic drain.
   */
  serveAlso(app: string, name: string, versions: FunctionVersion[]): void {
    if (versions.length === 0 && !this.functions.has(key(app, name))) return;
    const state = this.state(key(app, name));
    state.also = [...versions];
    if (state.active) for (const inst of state.instances) if (!state.serves(inst.fn)) inst.retire();
  }

  /** The function is gone: drain all its instances. */
  deactivate(app: string, name: string): void {
    const state = this.functions.get(key(app, name));
    if (!state) return;
    state.active = undefined;
    state.also = [];
    this.grantMinInstances();
    for (const a of state.acquiring) a.cancel();
    for (const inst of state.instances) inst.retire();
    if (state.instances.size === 0 && state.queue.length === 0) this.forget(app, name);
  }

  /** The function has nothing left on this node: drop its state and, in a cluster, its slots. */
  private forget(app: string, name: string): void {
    this.functions.delete(key(app, name));
    this.options.concurrencyGate?.release(app, name, 0, true);
  }

  /**
   * The function's instances got something that changed outside its version (a secret's value):
   * they drain as on a version switch and new ones start for the active version, so the next
   * invocations see the change and none in flight fails.
   */
  recycle(app: string, name: string): void {
    const state = this.functions.get(key(app, name));
    if (!state?.active) return;
    for (const inst of state.instances) inst.retire();
    // Processes still on their way become instances after this point, so they read the new values.
    this.ensureMinInstances(state);
    this.scale(state);
  }

  stats(app: string, name: string): { total: number; busy: number; idle: number } {
    const out = { total: 0, busy: 0, idle: 0 };
    for (const inst of this.functions.get(key(app, name))?.instances ?? []) {
      out.total++;
      if (inst.state === 'idle') out.idle++;
      else out.busy++;
    }
    return out;
  }

  /** Every function's instances per state, and its load (for scrape-time metrics; walks memory only). */
  metrics(): { instances: Array<{ app: string; function: string; state: string; count: number }>; load: Array<{ app: string; function: string; concurrent: number; queued: number }> } {
    const instances: Array<{ app: string; function: string; state: string; count: number }> = [];
    const load: Array<{ app: string; function: string; concurrent: number; queued: number }> = [];
    for (const state of this.functions.values()) {
      const name = state.active ?? [...state.instances][0]?.fn;
      if (!name) continue;
      const counts = new Map<string, number>();
      let concurrent = 0;
      for (const inst of state.instances) {
        counts.set(inst.state, (counts.get(inst.state) ?? 0) + 1);
        concurrent += inst.slots;
      }
      for (const [s, count] of counts) instances.push({ app: name.app, function: name.name, state: s, count });
      load.push({ app: name.app, function: name.name, concurrent, queued: state.queue.length });
    }
    return { instances, load };
  }

  /**
   * Whether an invocation of `fn` would run now or soon rather than be THROTTLED: a free slot on an
   * instance of that version, or room to start one. The event dispatcher asks before it claims,
   * so throttled events wait in the durable queue instead of failing.
   */
  hasCapacity(fn: FunctionVersion): boolean {
    if (this.closing) return false;
    const state = this.functions.get(key(fn.app, fn.name));
    if (state) {
      for (const inst of state.instances) if (sameVersion(inst.fn, fn) && inst.available && inst.state !== 'starting') return true;
      if (this.options.clock.now() < state.backoffUntil) return false;
      if (state.comingSlots(fn) > state.queue.length) return true;
    }
    if (this.canStart(state, fn)) return true;
    // The event stays in the durable queue; the dispatcher asks again once slots may have come.
    this.askSlots(state, fn, 1);
    return false;
  }

  /** Run one invocation and leave its record. Never rejects. */
  async invoke(fn: FunctionVersion, input: InvocationInput, meta: InvokeMeta): Promise<InvocationOutcome> {
    const t0 = meta.acceptedAt ?? performance.now();
    const tracer = this.options.tracer;
    const trace = startInvocation(tracer, fn, meta.id, meta.trigger, meta.startedAt, meta.traceparent);
    if (trace.traceparent !== undefined) {
      this.traceparents.set(meta.id, trace.traceparent);
      input = withTraceparent(input, trace.traceparent);
    }
    let assigned: Assignment | undefined;
    let result: InvokeResult;
    try {
      for (let attempt = 1; ; attempt++) {
        const a = this.acquire(fn, meta);
        const got = a instanceof Promise ? await a : a;
        if (got instanceof NimbusError) throw got;
        assigned = got;
        const gate = this.gates.get(got.instance);
        gate?.begin(meta.id);
        const leave = this.hops.get(got.instance)?.enter(meta.hop ?? 0);
        try {
          result = await got.instance.invoke(meta.id, input, got.instance.fn.config.timeout * 1000, meta.stream);
        } finally {
          leave?.();
        }
        gate?.end(meta.id);
        // Sent ahead to an instance that died before it started: it never ran, so it runs elsewhere.
        if (result.ok || !result.notStarted || attempt >= 3 || meta.cancel?.aborted) break;
      }
    } catch (err) {
      const e = err instanceof NimbusError ? err : new NimbusError('INTERNAL', String(err), { cause: err });
      assigned = undefined;
      result = { ok: false, code: e.code, message: e.message, rss: null };
    }
    const instance = assigned?.instance;
    // A function that throws its secret must not put it in the record (or the caller's error).
    const masker = instance && this.maskers.get(instance);
    if (masker && !result.ok) result = { ...result, message: masker.maskText(result.message) };
    const state = this.functions.get(key(fn.app, fn.name));
    const ran = instance?.fn ?? (state && !this.pinned(state, fn, meta) ? state.active : undefined) ?? fn;
    const record = buildRecord({
      id: meta.id,
      fn: ran,
      trigger: meta.trigger,
      startedAt: meta.startedAt,
      durationMs: performance.now() - t0,
      result,
      peakRss: instance?.peakRss ?? 0,
      cold: assigned?.cold ?? false,
      initMs: instance?.initMs ?? null,
      clientClosed: meta.cancel?.aborted === true,
      traceId: trace.traceId,
    });
    this.traceparents.delete(meta.id);
    endInvocation(trace, record, tracer);
    // The REPORT log line is derived from the record where it is stored (telemetry sink).
    this.options.onRecord(record, this.logged.delete(meta.id));
    if (result.ok) return { ok: true, record, result };
    const details =
      result.code === 'THROTTLED'
        ? { retryAfter: 1 }
        : result.errorType !== undefined
          ? { errorType: result.errorType, ...(result.errorMessage === undefined ? {} : { errorMessage: result.errorMessage }) }
          : undefined;
    return { ok: false, record, error: new NimbusError(result.code, result.message, details ? { details } : {}) };
  }

  /** Log a line for an invocation (used for lines the host adds, like REPORT). */
  log(fn: { app: string; function: string; version: number; id: string | null }, stream: LogStream, line: string): void {
    if (fn.id !== null) this.logged.add(fn.id);
    this.options.onLog({ seq: 0, invocationId: fn.id, app: fn.app, function: fn.function, version: fn.version, ts: Date.now(), stream, line });
  }

  /** Stop taking work, let in-flight invocations finish for up to `graceMs`, then kill the rest. */
  async close(graceMs = 10_000): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    for (const state of this.functions.values()) {
      for (const a of state.acquiring) a.cancel();
      for (const w of state.queue.splice(0)) w.resolve(new NimbusError('SHUTTING_DOWN', 'Nimbus is shutting down; retry against another node or later'));
    }
    const all = [...this.functions.values()].flatMap((s) => [...s.instances]);
    for (const inst of all) inst.retire();
    const exited = Promise.all(all.map((inst) => inst.proc.exited));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([exited, grace]);
    clearTimeout(timer);
    for (const inst of all) inst.proc.kill('shutdown');
    await exited;
  }

  /** Housekeeping: demand samples, scaling both ways, queue deadlines, memory and CPU watch. */
  tick(): void {
    const now = this.options.clock.now();
    this.options.pool.tick();
    let loaded = false;
    for (const state of this.functions.values()) {
      // Refill minInstances lost to crashes, once a back-off is over.
      if (now >= state.backoffUntil) this.ensureMinInstances(state);
      this.returnSlots(state, now);
      // Hundreds of functions may be deployed with nothing running: those cost nothing more here.
      if (state.instances.size === 0 && state.queue.length === 0 && state.acquiring.size === 0) continue;
      const concurrency = state.inFlight() + state.queue.length;
      if (concurrency > 0) loaded = true;
      state.demand.sample(now, concurrency);
      state.expireWaiters(now, this.cpu.idle());
      this.scale(state);
      state.scaleIn(now, this.floor);
      for (const inst of state.instances) {
        // Idle too: work a function leaves in timers after its response grows memory as well.
        if (inst.state !== 'dead') this.watchMemory(inst);
        if (inst.state !== 'busy' && inst.state !== 'starting') continue;
        // A long-running (likely CPU-bound) invocation must not slow everyone else's requests.
        if (inst.longestRunningMs() > LONG_RUNNING_MS) inst.proc.deprioritize();
      }
    }
    // The node's CPU gauge only matters under load (reading it allocates); an idle stretch reads as idle.
    if (loaded) this.cpu.sample();
  }

  private acquire(fn: FunctionVersion, meta: InvokeMeta): Assignment | Promise<Assignment | NimbusError> {
    if (this.closing) throw new NimbusError('SHUTTING_DOWN', 'Nimbus is shutting down; retry against another node or later');
    const state = this.state(key(fn.app, fn.name));
    // Requests routed just before a deploy go to the version that serves now, unless they were
    // routed to a version on purpose (an alias, a canary's share, a version number).
    const pinned = this.pinned(state, fn, meta);
    if (!pinned) fn = state.active ?? fn;
    const now = this.options.clock.now();
    const best = state.freeInstance(fn);
    if (best) {
      const cold = best.state === 'starting';
      best.reserve(now);
      return { instance: best, cold };
    }
    if (now < state.backoffUntil) throw state.backoffError(fn, now);
    if (now < this.spawnRetryAt && state.comingSlots(fn) <= state.queue.length) throw this.spawnError();
    // Exactly the excess over the limits is throttled, at once: a start already under way that
    // will have a slot for this request counts as capacity; busy instances do not.
    // In a cluster, a request over the slots this node holds waits while the gate asks for more.
    if (state.comingSlots(fn) <= state.queue.length && !this.canStart(state, fn) && !this.mayGetSlots(state, fn)) throw this.limitError(state, fn);
    const waitMs = Math.min(fn.config.maxQueueWait, fn.config.timeout) * 1000;
    return new Promise<Assignment | NimbusError>((resolve) => {
      const waiter: Waiter = { fn, pinned, enqueuedAt: now, waitMs, resolve, unwatch: undefined };
      state.queue.push(waiter);
      waiter.unwatch = meta.cancel?.watch(() => {
        const i = state.queue.indexOf(waiter);
        if (i === -1) return;
        state.queue.splice(i, 1);
        resolve(new NimbusError('CLIENT_CLOSED', 'the client closed the connection while the request waited for an instance; it did not run'));
      });
      this.scale(state);
    });
  }

  /** Whether `fn` runs as asked: pinned by the caller, or a version that takes traffic besides the active one. */
  private pinned(state: FunctionState, fn: FunctionVersion, meta: InvokeMeta): boolean {
    return meta.pinned === true || state.also.some((v) => sameVersion(v, fn));
  }

  /** Within the function's `concurrency` and the node's `maxInstances` (an idle instance elsewhere may give way). */
  private canStart(state: FunctionState | undefined, fn: FunctionVersion): boolean {
    if (this.atLimit(state, fn)) return false;
    return this.live < this.options.maxInstances || this.idleVictim() !== undefined;
  }

  /** Its instances (and processes on their way) reach the function's `concurrency`, or in a cluster the slots this node holds of it. */
  private atLimit(state: FunctionState | undefined, fn: FunctionVersion): boolean {
    const limit = fn.config.concurrency;
    if (limit === null) return false;
    const gate = this.options.concurrencyGate;
    const used = state ? state.countLive() + state.acquiring.size : 0;
    return used >= (gate ? Math.min(limit, gate.limit(fn.app, fn.name)) : limit);
  }

  /** In a cluster: the node is below the function's `concurrency` and the gate did not just find the cluster full, so slots may come. */
  private mayGetSlots(state: FunctionState | undefined, fn: FunctionVersion): boolean {
    const gate = this.options.concurrencyGate;
    const limit = fn.config.concurrency;
    if (!gate || limit === null || gate.full(fn.app, fn.name)) return false;
    const used = state ? state.countLive() + state.acquiring.size : 0;
    return used < limit && (this.live < this.options.maxInstances || this.idleVictim() !== undefined);
  }

  /** Ask the gate for slots for `more` instances beyond those the function has (nothing without a gate or a limit). */
  private askSlots(state: FunctionState | undefined, fn: FunctionVersion, more: number): void {
    const limit = fn.config.concurrency;
    if (!this.mayGetSlots(state, fn) || limit === null) return;
    const used = state ? state.countLive() + state.acquiring.size : 0;
    this.options.concurrencyGate?.want(fn.app, fn.name, limit, Math.min(limit, used + more));
  }

  /**
   * The gate answered an ask: start what the queue needs with the slots that came; if the cluster
   * is full, the waiters no start under way will serve are throttled (as at a local limit).
   */
  private slotsChanged(app: string, name: string): void {
    const state = this.functions.get(key(app, name));
    if (!state || this.closing) return;
    this.scale(state);
    if (state.queue.length === 0 || !this.options.concurrencyGate?.full(app, name)) return;
    const fn = state.queue[0]!.fn;
    for (const w of state.queue.splice(state.comingSlots(fn))) {
      w.unwatch?.();
      w.resolve(this.limitError(state, w.fn));
    }
  }

  /**
   * In a cluster, a limited function's slots go back once unused: its idle instances stop after
   * IDLE_SLOT_MS (another node may need the slot), then the gate releases the surplus.
   */
  private returnSlots(state: FunctionState, now: number): void {
    const gate = this.options.concurrencyGate;
    const fn = state.active ?? state.queue[0]?.fn ?? state.instances.values().next().value?.fn;
    if (!gate || fn?.config.concurrency == null) return;
    if (state.instances.size > 0) for (const inst of state.idleExtras()) if (now - inst.lastUsedAt >= IDLE_SLOT_MS) inst.retire();
    gate.release(fn.app, fn.name, state.countLive() + state.acquiring.size);
  }

  private limitError(state: FunctionState, fn: FunctionVersion): NimbusError {
    const message = this.atLimit(state, fn)
      ? `${fn.app}/${fn.name} is at its concurrency limit of ${fn.config.concurrency} instance(s)${this.options.concurrencyGate ? ' across the cluster' : ''} and all are busy; retry later`
      : `the node is at its limit of ${this.options.maxInstances} instances; retry later`;
    return new NimbusError('THROTTLED', message, { details: { retryAfter: 1 } });
  }

  /** Start as many instances as the queue's demand is worth (demand.ts), within the limits, for each version waited for. */
  private scale(state: FunctionState): void {
    if (this.closing || state.queue.length === 0) return;
    const versions = state.queuedVersions();
    for (const fn of versions) this.scaleVersion(state, fn, versions.length === 1);
  }

  /** `only`: the one version waited for (processes on their way are not tagged by version, so only then may extras be cancelled). */
  private scaleVersion(state: FunctionState, fn: FunctionVersion, only: boolean): void {
    const now = this.options.clock.now();
    if (now < state.backoffUntil || now < this.spawnRetryAt) return;
    const have = state.serving(fn);
    const concurrency = Math.max(state.inFlight() + state.queue.length, state.demand.panic(now));
    const desired = desiredInstances({ concurrency, instanceConcurrency: fn.config.instanceConcurrency, waitRatio: state.demand.waitRatio, floor: this.floor, cpuIdle: this.cpu.idle() });
    // Never more starts than the queue can use: in-flight work already has its slots.
    const waiting = only ? state.queue.length : state.queue.filter((w) => sameVersion(w.fn, fn)).length;
    const usable = Math.ceil(Math.max(0, waiting - state.comingSlots(fn)) / fn.config.instanceConcurrency);
    let toStart = Math.min(desired - have, usable);
    for (; toStart > 0 && !this.atLimit(state, fn); toStart--) {
      if (this.live >= this.options.maxInstances && !this.reclaimIdle()) break;
      this.startInstance(state, fn);
    }
    // In a cluster the node's slots ran out first: ask for more (the answer calls scale again).
    if (toStart > 0 && this.atLimit(state, fn)) this.askSlots(state, fn, toStart);
    // Demand fell while processes were on their way (first answers showed a fast function).
    if (only && desired < have) for (const a of [...state.acquiring].reverse().slice(0, have - desired)) a.cancel();
  }

  /**
   * At the node limit, an idle instance (least recently used, not one kept for minInstances)
   * gives way to a start that requests need: idle capacity must not throttle real traffic.
   */
  private reclaimIdle(): boolean {
    const victim = this.idleVictim();
    if (!victim) return false;
    victim.retire();
    // Its process exits shortly; until then it must not count against the limit.
    this.live--;
    victim.releasedFromLimit = true;
    return true;
  }

  /** The least recently used idle instance that is not kept for minInstances. */
  private idleVictim(): Instance | undefined {
    let victim: Instance | undefined;
    for (const state of this.functions.values()) {
      for (const inst of state.idleExtras()) if (!victim || inst.lastUsedAt < victim.lastUsedAt) victim = inst;
    }
    return victim;
  }

  /** A new instance from a pool process now, or once the pool has one (counted against the limits meanwhile). */
  private startInstance(state: FunctionState, fn: FunctionVersion, forMin = false): void {
    const ready = this.options.pool.take(sandboxSize(fn.config));
    if (ready) {
      this.createInstance(state, fn, ready, forMin);
      return;
    }
    const acq = this.options.pool.acquire(sandboxSize(fn.config));
    state.acquiring.add(acq);
    this.live++;
    void acq.process.then((proc) => {
      state.acquiring.delete(acq);
      this.live--;
      if (!proc) {
        if (acq.error) this.spawnFailed(state, fn, acq.error);
        return;
      }
      this.spawnFailures = 0;
      // A start for a version that no longer takes traffic (a deploy came meanwhile) is not needed.
      if (this.closing || (state.active !== undefined && !state.serves(fn) && !state.queue.some((w) => sameVersion(w.fn, fn)))) {
        void proc.stop();
        return;
      }
      this.createInstance(state, fn, proc, forMin);
    });
  }

  private createInstance(state: FunctionState, fn: FunctionVersion, proc: SandboxTransport, forMin: boolean): Instance {
    this.live++;
    const name = { app: fn.app, function: fn.name, version: fn.version };
    const hops = new HopContext();
    const gate: LogGate = new LogGate(this.options.logQuota, this.options.clock, (id, stream, line) =>
      // A late line of an answered invocation must not mark it as logged again: its record is out, the mark would stay forever.
      id !== null && !gate.isRunning(id) ? this.options.onLog({ seq: 0, invocationId: id, ...name, ts: Date.now(), stream, line }) : this.log({ ...name, id }, stream, line),
    );
    const binding = this.bindings.session(
      fn,
      (reply) => proc.send(reply),
      (id, line) => this.log({ ...name, id }, 'system', line),
      () => hops.current,
      (inv) => (inv === null ? undefined : this.traceparents.get(inv)),
    );
    let masker: SecretMasker | undefined;
    const hooks = {
      // Masked before the gate cuts a line, so a cut cannot split a value past the masker.
      onLog: (id: string | null, stream: LogStream, line: string) => gate.write(id, stream, masker && stream !== 'system' ? masker.mask(stream, line) : line),
      onDead: (inst: Instance, exit: ExitInfo) => {
        binding.close();
        if (exit.violation !== undefined) this.log({ ...name, id: null }, 'system', `[nimbus] instance stopped: it broke the sandbox protocol: ${exit.violation}`);
        state.instances.delete(inst);
        if (!inst.releasedFromLimit) this.live--;
        if (state.instances.size === 0 && state.active === undefined && state.queue.length === 0) this.forget(fn.app, fn.name);
        // After the start's bookkeeping (a failed init sets the back-off first).
        else
          setImmediate(() => {
            this.ensureMinInstances(state);
            this.scale(state);
          });
      },
      onSlotFree: (inst: Instance) => state.dispatch(inst, this.options.scaling?.sendAhead ?? SEND_AHEAD, this.options.clock.now()),
      onTiming: (hostMs: number, ms: number | undefined, cpu: number | undefined) => state.demand.observe(hostMs, ms, cpu),
      onBinding: binding,
    };
    // The code is usually cached; when it is not, the instance loads it once it arrives.
    const prepare = this.options.prepare;
    const secretEnv = this.options.secretEnv && fn.config.secrets !== undefined ? this.options.secretEnv(fn) : Promise.resolve({});
    const code = Promise.all([this.code.get(fn.codeHash), secretEnv, prepare?.(proc, fn)]).then(([text, env]) => {
      const m = new SecretMasker(Object.values(env));
      if (!m.empty) this.maskers.set(instance, (masker = m));
      const runtimeEnv = lambdaEnvironment(fn, { region: this.options.region ?? DEFAULT_REGION, provisioned: forMin, now: this.options.clock.now() });
      return { text, secretEnv: env, runtimeEnv };
    });
    const instance: Instance = new Instance(proc, fn, code, hooks, this.options.clock);
    if (this.options.maxStreamBytes !== undefined) instance.maxStreamBytes = this.options.maxStreamBytes;
    this.hops.set(instance, hops);
    this.gates.set(instance, gate);
    state.instances.add(instance);
    this.watchStart(state, instance);
    if (forMin) instance.started.catch((err: Error) => this.options.log?.(`minInstances of ${fn.app}/${fn.name}: start failed: ${err.message}`));
    // A function with nothing loaded: the first waiters ride on this start (no warm instance can be sooner).
    if (!state.hasLoaded(fn)) state.handOver(instance, this.options.clock.now(), () => true);
    return instance;
  }

  /** Crash-loop bookkeeping for a start; no request waits for it. */
  private watchStart(state: FunctionState, instance: Instance): void {
    instance.started.then(
      () => {
        state.initFailures = 0;
      },
      (err: Error & { boot?: boolean; killedFor?: KillReason | null }) => {
        // The sandbox never came up: the node's failure, not the function's (its waiters run elsewhere).
        // Logged when the launcher failed on its own, not when the node stopped it (a retired start).
        if (err.boot) return void (err.killedFor === null && this.options.log?.(`${instance.fn.app}/${instance.fn.name}: ${err.message}`));
        state.initFailures++;
        // It ends up in THROTTLED answers and records: a module that threw its secret must not leak it.
        state.lastInitError = this.maskers.get(instance)?.maskText(err.message) ?? err.message;
        if (state.initFailures >= 3) state.backoffUntil = this.options.clock.now() + Math.min(60_000, 1000 * 2 ** (state.initFailures - 3));
      },
    );
  }

  /**
   * No process could be spawned: back off node-wide (100 ms, doubling to 30 s) so that minInstances
   * restarts and scale-outs do not spin, and answer the waiters no start under way will serve.
   */
  private spawnFailed(state: FunctionState, fn: FunctionVersion, err: Error): void {
    this.spawnFailures++;
    this.spawnRetryAt = this.options.clock.now() + Math.min(30_000, 100 * 2 ** (this.spawnFailures - 1));
    this.options.log?.(`${fn.app}/${fn.name}: ${err.message}; new instances wait ${this.spawnRetryAt - this.options.clock.now()} ms`);
    const covered = state.comingSlots(fn);
    for (const w of state.queue.splice(covered)) {
      w.unwatch?.();
      w.resolve(this.spawnError());
    }
  }

  private spawnError(): NimbusError {
    return new NimbusError('SPAWN_FAILED', 'the node could not start an instance (out of file descriptors, processes or memory); retry later', { details: { retryAfter: 1 } });
  }

  private ensureMinInstances(state: FunctionState): void {
    const fn = state.active;
    if (!fn || this.closing || state.minKeep === 0 || this.options.clock.now() < this.spawnRetryAt) return;
    let have = state.serving(fn);
    for (; have < state.minKeep && this.live < this.options.maxInstances && this.options.clock.now() >= state.backoffUntil; have++) {
      // In a cluster, warm instances need slots like any other (they count against `concurrency` on every node together).
      if (this.options.concurrencyGate && this.atLimit(state, fn)) break;
      this.startInstance(state, fn, true);
    }
    if (have < state.minKeep && this.options.concurrencyGate && this.atLimit(state, fn)) this.askSlots(state, fn, state.minKeep - have);
  }

  private watchMemory(inst: Instance): void {
    const rss = inst.proc.rss();
    if (rss === undefined) return;
    if (rss > inst.peakRss) inst.peakRss = rss;
    if (rss - inst.proc.baselineRss <= inst.fn.config.memory * MB) return;
    // With an invocation running, its record says FUNCTION_OOM; with none, only the log can.
    if (inst.slots === 0) {
      const { app, name, version, config } = inst.fn;
      this.log(
        { app, function: name, version, id: null },
        'system',
        `[nimbus] instance stopped: it grew to ${Math.round(rss / MB)} MB with no invocation running, over its memory of ${config.memory} MB (FUNCTION_OOM)`,
      );
    }
    inst.proc.kill('oom');
  }

  /** Re-divide minInstances within the caps whenever the set of active versions changes. */
  private grantMinInstances(): void {
    const perApp = this.options.minInstancesPerApp ?? defaultMinInstancesPerApp(this.options.maxInstances);
    applyMinInstanceCaps([...this.functions.values()], perApp, this.options.maxInstances, this.options.log);
  }

  private state(k: string): FunctionState {
    let s = this.functions.get(k);
    if (!s) {
      s = new FunctionState(this.options.scaling?.windows);
      this.functions.set(k, s);
    }
    return s;
  }
}

function key(app: string, name: string): string {
  return `${app}/${name}`;
}

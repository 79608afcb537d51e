/**
 * The runtime: runs invocations of function versions on instances, and decides when instances
 * start and stop.
 *
 * Scheduling, per invocation: reuse an instance of that version with a free slot, most recently
 * used first (so idle extras age out and the fleet stays small); otherwise start one — a warm-pool
 * process specialised by loading the bundle — if the function's `concurrency` and the node's
 * `maxInstances` allow it; otherwise answer THROTTLED at once (sync traffic never queues).
 *
 * Housekeeping on one timer: idle instances past their idleTimeout stop (scale to zero) except
 * `minInstances` of the active version; busy instances' RSS is sampled and one over its memory is
 * killed (FUNCTION_OOM). Activating a version retires the others' instances (they drain).
 */
import { readFileSync } from 'node:fs';
import type { FunctionVersion, InvocationRecord, InvocationStatus, LogLine, LogStream, TriggerKind } from '../domain/index.js';
import { ERROR_STATUS, NimbusError, type ErrorCode } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import { BindingHost, type BindingServices } from './bindings.js';
import { Instance, type InvocationInput, type InvokeResult } from './instance.js';
import type { WarmPool } from './pool.js';
import type { SandboxProcess } from './sandbox-process.js';
import { CodeCache } from './code-cache.js';

export interface RuntimeOptions {
  pool: WarmPool;
  /** Start a sandbox process right now (pool empty). */
  spawn: (memoryMb: number) => SandboxProcess;
  loadCode: (codeHash: string) => Promise<string | undefined>;
  maxInstances: number;
  clock: Clock;
  /** `logged`: the invocation wrote output (its log then gets a stored REPORT line). */
  onRecord: (record: InvocationRecord, logged: boolean) => void;
  onLog: (line: LogLine) => void;
  /** Housekeeping period, ms. */
  tickMs?: number;
  /** What functions' bindings reach (KV, buckets, topics); read at call time. None: every call fails "not available". */
  bindings?: BindingServices;
  log?: (line: string) => void;
}

export interface InvokeMeta {
  id: string;
  trigger: TriggerKind;
  /** Epoch ms the request was accepted. */
  startedAt: number;
  /** performance.now() when the request was accepted (durations count from there). */
  acceptedAt?: number;
}

export type InvocationOutcome =
  | { ok: true; record: InvocationRecord; result: Extract<InvokeResult, { ok: true }> }
  | { ok: false; record: InvocationRecord; error: NimbusError };

interface FunctionState {
  instances: Set<Instance>;
  active: FunctionVersion | undefined;
  initFailures: number;
  backoffUntil: number;
  lastInitError: string;
}

const MB = 1024 * 1024;
const PAGE_SIZE = 4096;
/** An invocation running longer than this gets its instance's CPU priority lowered. */
const LONG_RUNNING_MS = 500;

export class Runtime {
  private readonly functions = new Map<string, FunctionState>();
  /** Invocations in flight that have written output. */
  private readonly logged = new Set<string>();
  private live = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly code: CodeCache;
  private readonly bindings: BindingHost;
  private closing = false;

  constructor(private readonly options: RuntimeOptions) {
    this.code = new CodeCache(options.loadCode);
    this.bindings = new BindingHost(options.bindings ?? {});
    this.timer = setInterval(() => this.tick(), options.tickMs ?? 100);
    this.timer.unref();
  }

  /** Make `fn` the version that serves its function: other versions drain, minInstances start. */
  activate(fn: FunctionVersion): void {
    const state = this.state(key(fn.app, fn.name));
    if (state.active?.version !== fn.version || state.active.hash !== fn.hash) {
      state.initFailures = 0;
      state.backoffUntil = 0;
    }
    state.active = fn;
    for (const inst of state.instances) if (inst.fn.version !== fn.version) inst.retire();
    this.options.pool.want(fn.config.memory);
    void this.ensureMinInstances(state);
  }

  /** The function is gone: drain all its instances. */
  deactivate(app: string, name: string): void {
    const state = this.functions.get(key(app, name));
    if (!state) return;
    state.active = undefined;
    for (const inst of state.instances) inst.retire();
    if (state.instances.size === 0) this.functions.delete(key(app, name));
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

  /**
   * Whether an invocation of `fn` would run now rather than be THROTTLED: a free slot on an
   * instance of that version, or room to start one. The event dispatcher asks before it claims,
   * so throttled events wait in the queue instead of failing.
   */
  hasCapacity(fn: FunctionVersion): boolean {
    if (this.closing) return false;
    const state = this.functions.get(key(fn.app, fn.name));
    if (state) {
      for (const inst of state.instances) if (inst.fn.version === fn.version && inst.fn.hash === fn.hash && inst.available) return true;
      if (this.options.clock.now() < state.backoffUntil) return false;
      if (fn.config.concurrency !== null && countLive(state) >= fn.config.concurrency) return false;
    }
    return this.live < this.options.maxInstances || this.hasIdleToReclaim();
  }

  /** Run one invocation and leave its record. Never rejects. */
  async invoke(fn: FunctionVersion, input: InvocationInput, meta: InvokeMeta): Promise<InvocationOutcome> {
    const t0 = meta.acceptedAt ?? performance.now();
    let instance: Instance | undefined;
    let cold = false;
    let result: InvokeResult;
    try {
      ({ instance, cold } = this.acquire(fn));
      result = await instance.invoke(meta.id, input, fn.config.timeout * 1000);
    } catch (err) {
      const e = err instanceof NimbusError ? err : new NimbusError('INTERNAL', String(err), { cause: err });
      result = { ok: false, code: e.code, message: e.message, rss: null };
    }
    const durationMs = performance.now() - t0;
    const rss = Math.max(instance?.peakRss ?? 0, result.rss ?? 0);
    const record: InvocationRecord = {
      id: meta.id,
      app: fn.app,
      function: fn.name,
      version: fn.version,
      trigger: meta.trigger,
      startedAt: meta.startedAt,
      durationMs: Math.round(durationMs * 1000) / 1000,
      billedMs: Math.max(1, Math.ceil(durationMs)),
      memoryMb: fn.config.memory,
      maxMemoryMb: rss > 0 ? Math.ceil(rss / MB) : null,
      coldStart: cold,
      initMs: cold && instance?.initMs != null ? Math.round(instance.initMs * 1000) / 1000 : null,
      status: result.ok ? 'ok' : statusOf(result.code),
      errorCode: result.ok ? null : result.code,
      errorMessage: result.ok ? null : result.message,
      httpStatus: result.ok ? (result.res?.status ?? 200) : ERROR_STATUS[result.code],
    };
    // The REPORT log line is derived from the record where it is stored (telemetry sink).
    this.options.onRecord(record, this.logged.delete(meta.id));
    if (result.ok) return { ok: true, record, result };
    return { ok: false, record, error: new NimbusError(result.code, result.message) };
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

  private acquire(fn: FunctionVersion): { instance: Instance; cold: boolean } {
    if (this.closing) throw new NimbusError('SHUTTING_DOWN', 'Nimbus is shutting down; retry against another node or later');
    const state = this.state(key(fn.app, fn.name));
    const now = this.options.clock.now();
    let best: Instance | undefined;
    for (const inst of state.instances) {
      if (inst.fn.version !== fn.version || inst.fn.hash !== fn.hash || !inst.available) continue;
      // Prefer started instances, then the most recently used.
      if (!best || rank(inst) > rank(best) || (rank(inst) === rank(best) && inst.lastUsedAt > best.lastUsedAt)) best = inst;
    }
    if (best) {
      best.reserve(now);
      return { instance: best, cold: false };
    }
    if (now < state.backoffUntil) {
      throw new NimbusError('FUNCTION_INIT_ERROR', `${fn.app}/${fn.name} failed to initialise ${state.initFailures} times in a row (last error: ${state.lastInitError}); Nimbus tries again in ${Math.ceil((state.backoffUntil - now) / 1000)} s. Fix it and redeploy.`);
    }
    const limit = fn.config.concurrency;
    if (limit !== null && countLive(state) >= limit) {
      throw new NimbusError('THROTTLED', `${fn.app}/${fn.name} is at its concurrency limit of ${limit} instance(s); retry later`, { details: { retryAfter: 1 } });
    }
    if (this.live >= this.options.maxInstances && !this.reclaimIdle()) {
      throw new NimbusError('THROTTLED', `the node is at its limit of ${this.options.maxInstances} instances; retry later`, { details: { retryAfter: 1 } });
    }
    const instance = this.startInstance(state, fn);
    instance.reserve(now);
    this.watchStart(state, instance);
    return { instance, cold: true };
  }

  /**
   * At the node limit, an idle instance (least recently used, not one kept for minInstances)
   * gives way to a request that needs a new one: idle capacity must not throttle real traffic.
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

  private hasIdleToReclaim(): boolean {
    return this.idleVictim() !== undefined;
  }

  /** The least recently used idle instance that is not kept for minInstances. */
  private idleVictim(): Instance | undefined {
    let victim: Instance | undefined;
    for (const state of this.functions.values()) {
      const idle = [...state.instances].filter((i) => i.state === 'idle').sort((a, b) => b.lastUsedAt - a.lastUsedAt);
      let keep = state.active?.config.minInstances ?? 0;
      for (const inst of idle) {
        if (keep > 0 && inst.fn.version === state.active?.version) {
          keep--;
          continue;
        }
        if (!victim || inst.lastUsedAt < victim.lastUsedAt) victim = inst;
      }
    }
    return victim;
  }

  private startInstance(state: FunctionState, fn: FunctionVersion): Instance {
    const proc = this.options.pool.take(fn.config.memory) ?? this.options.spawn(fn.config.memory);
    this.live++;
    const codePromise = this.code.get(fn.codeHash);
    let instance!: Instance;
    const hooks = {
      onLog: (id: string | null, stream: LogStream, line: string) => this.log({ app: fn.app, function: fn.name, version: fn.version, id }, stream, line),
      onDead: (inst: Instance) => {
        state.instances.delete(inst);
        if (!inst.releasedFromLimit) this.live--;
        if (state.instances.size === 0 && state.active === undefined) this.functions.delete(key(fn.app, fn.name));
        // After the start's bookkeeping (a failed init sets the back-off first).
        else setImmediate(() => void this.ensureMinInstances(state));
      },
      onSlotFree: () => {},
      onBinding: this.bindings.session(fn, (reply) => proc.send(reply), (id, line) => this.log({ app: fn.app, function: fn.name, version: fn.version, id }, 'system', line)),
    };
    // The code is usually cached; when it is not, the instance is created once it arrives.
    instance = new Instance(proc, fn, codePromise, hooks, this.options.clock.now());
    state.instances.add(instance);
    return instance;
  }

  /** Crash-loop bookkeeping for a cold start; the request itself does not wait for it. */
  private watchStart(state: FunctionState, instance: Instance): void {
    instance.started.then(
      () => {
        state.initFailures = 0;
      },
      (err: Error) => {
        state.initFailures++;
        state.lastInitError = err.message;
        if (state.initFailures >= 3) state.backoffUntil = this.options.clock.now() + Math.min(60_000, 1000 * 2 ** (state.initFailures - 3));
      },
    );
  }

  private async ensureMinInstances(state: FunctionState): Promise<void> {
    const fn = state.active;
    if (!fn || this.closing || fn.config.minInstances === 0) return;
    let have = 0;
    for (const inst of state.instances) if (inst.fn.version === fn.version && inst.state !== 'draining' && inst.state !== 'dead') have++;
    for (; have < fn.config.minInstances && this.live < this.options.maxInstances && this.options.clock.now() >= state.backoffUntil; have++) {
      const inst = this.startInstance(state, fn);
      // Counted like any cold start, so a module that cannot load backs off instead of respawning in a loop.
      this.watchStart(state, inst);
      inst.started.catch((err: Error) => this.options.log?.(`minInstances of ${fn.app}/${fn.name}: start failed: ${err.message}`));
    }
  }

  private tick(): void {
    const now = this.options.clock.now();
    for (const state of this.functions.values()) {
      const active = state.active;
      let keep = active?.config.minInstances ?? 0;
      // Refill minInstances lost to crashes, once a back-off is over.
      if (keep > 0 && now >= state.backoffUntil) void this.ensureMinInstances(state);
      // Most recently used first: the ones kept for minInstances are the warmest.
      const instances = [...state.instances].sort((a, b) => b.lastUsedAt - a.lastUsedAt);
      for (const inst of instances) {
        if (inst.state === 'busy' || inst.state === 'starting') {
          this.watchMemory(inst);
          // A long-running (likely CPU-bound) invocation must not slow everyone else's requests.
          if (inst.longestRunningMs() > LONG_RUNNING_MS) inst.proc.deprioritize();
        }
        if (inst.state !== 'idle') continue;
        if (active && inst.fn.version === active.version && keep > 0) {
          keep--;
          continue;
        }
        if (now - inst.lastUsedAt >= inst.fn.config.idleTimeout * 1000) inst.retire();
      }
    }
  }

  private watchMemory(inst: Instance): void {
    let rss: number;
    try {
      const statm = readFileSync(`/proc/${inst.proc.pid}/statm`, 'latin1');
      rss = Number(statm.split(' ')[1]) * PAGE_SIZE;
    } catch {
      return;
    }
    if (rss > inst.peakRss) inst.peakRss = rss;
    if (rss - inst.proc.baselineRss > inst.fn.config.memory * MB) inst.proc.kill('oom');
  }

  private state(k: string): FunctionState {
    let s = this.functions.get(k);
    if (!s) {
      s = { instances: new Set(), active: undefined, initFailures: 0, backoffUntil: 0, lastInitError: '' };
      this.functions.set(k, s);
    }
    return s;
  }
}

function key(app: string, name: string): string {
  return `${app}/${name}`;
}

function rank(inst: Instance): number {
  return inst.state === 'starting' ? 0 : 1;
}

function countLive(state: FunctionState): number {
  let n = 0;
  for (const inst of state.instances) if (inst.state !== 'dead') n++;
  return n;
}

function statusOf(code: ErrorCode): InvocationStatus {
  switch (code) {
    case 'FUNCTION_TIMEOUT':
      return 'timeout';
    case 'FUNCTION_OOM':
      return 'oom';
    case 'FUNCTION_CRASHED':
      return 'crashed';
    case 'THROTTLED':
      return 'throttled';
    default:
      return 'error';
  }
}

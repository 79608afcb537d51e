/**
 * An instance: one sandbox process specialised to one function version, never shared.
 *
 * Life cycle:
 *   starting  the bundle is being loaded (init); requests may already be assigned to it
 *   idle      loaded, no invocation in flight; reaped after the function's idleTimeout
 *   busy      1..instanceConcurrency invocations in flight (waitUntil work holds a slot too)
 *   draining  a newer version took over or the node is stopping: finish in-flight work, take none
 *   dead      the process is gone (stopped, crashed, killed for timeout/memory); never reused
 *
 * A timeout kills the whole process (SIGKILL): the timed-out invocation answers at once with
 * FUNCTION_TIMEOUT, any other in-flight one answers when the process is gone. How the process
 * ended (see SandboxProcess) decides FUNCTION_OOM versus FUNCTION_CRASHED.
 */
import type { FunctionVersion, LogStream } from '../domain/index.js';
import type { HostMessage, SandboxMessage, WireRequest, WireResponse } from '../sandbox/protocol.js';
import type { Clock } from '../shared/clock.js';
import type { ErrorCode } from '../shared/errors.js';
import type { ExitInfo, SandboxTransport } from './transport.js';
import { MAX_STREAM_BYTES } from '../sandbox/protocol.js';
import { HostStream, type StreamInfo, type StreamSink } from './stream.js';

export type InstanceState = 'starting' | 'idle' | 'busy' | 'draining' | 'dead';

/** `traceparent`: the W3C trace context the function sees (ctx.traceparent / context.traceparent). */
export type InvocationInput = ({ kind: 'http'; req: WireRequest } | { kind: 'event'; event: unknown; shape?: 'invoke' | 'scheduled' | 'queue' | 'email' }) & { traceparent?: string };

export type InvokeResult =
  /** `retry`: for a `queue` delivery, the ids of the messages the handler asked to get again. */
  | { ok: true; res?: WireResponse; value?: unknown; rss: number; retry?: string[]; stream?: StreamInfo }
  /**
   * `notStarted`: it was waiting in the sandbox behind another invocation and never ran: safe to run elsewhere.
   * `stream`: the response was streamed and its head sent before it failed.
   */
  | { ok: false; code: ErrorCode; message: string; rss: number | null; notStarted?: boolean; stream?: StreamInfo; errorType?: string; errorMessage?: string };

export interface InstanceHooks {
  onLog(invocationId: string | null, stream: LogStream, line: string): void;
  /** The instance is dead (after its last in-flight invocation was answered). */
  onDead(instance: Instance, exit: ExitInfo): void;
  /** A slot freed up (invocation answered or waitUntil settled), or the instance finished loading. */
  onSlotFree(instance: Instance): void;
  /** An invocation was answered: how long its slot was held (host), how long it ran and computed inside (sandbox). */
  onTiming?(hostMs: number, ms: number | undefined, cpu: number | undefined): void;
  /** A binding call (or a slice of its body) from the sandbox; the hook replies on the process. */
  onBinding(message: Extract<SandboxMessage, { t: 'call' | 'part' }>): void;
}

interface Pending {
  resolve(result: InvokeResult): void;
  /** performance.now() when sent to the sandbox. */
  sentAt: number;
  timer: NodeJS.Timeout | undefined;
  timedOut: boolean;
  /** Its timeout clock runs (it is running in the sandbox, not waiting there behind another). */
  armed: boolean;
  timeoutMs: number;
  /** The instance's first invocation: its timing includes lazy compilation, so it says little about the function. */
  first: boolean;
  /** Where a streamed response goes (HTTP invocations); `stream` once the sandbox started one. */
  sink: StreamSink | undefined;
  stream: HostStream | undefined;
}

/** Init (module load) gets at least this long, whatever the function's own timeout. */
const MIN_INIT_TIMEOUT_MS = 10_000;

export class Instance {
  state: InstanceState = 'starting';
  /** Invocations assigned (including ones waiting for the start to finish). */
  slots = 0;
  lastUsedAt: number;
  initMs: number | null = null;
  peakRss = 0;
  /** The runtime stopped counting it against the node limit (reclaimed while idle). */
  releasedFromLimit = false;
  /** Invocations handed to it so far (0: its next one is its first). */
  served = 0;
  /** Clock time it finished loading (undefined while starting). */
  readyAt: number | undefined;
  /** Bytes a streamed response may carry before it is cut. */
  maxStreamBytes = MAX_STREAM_BYTES;
  readonly started: Promise<void>;
  private readonly pending = new Map<string, Pending>();
  private readonly settling = new Set<string>();
  /** Invocations waiting for the `load` message to go out first (the bundle is being fetched). */
  private unsent: HostMessage[] | undefined = [];
  /** Why init failed, once it has: waiting invocations answer FUNCTION_INIT_ERROR with it. */
  private initError: string | undefined;
  /** The sandbox process came up (said `ready`); before that, nothing of the function has run in it. */
  private booted = false;

  constructor(
    readonly proc: SandboxTransport,
    readonly fn: FunctionVersion,
    /**
     * The bundle, the values of the env variables that name secrets (decrypted for this instance
     * only), and the environment Lambda sets (lambda-env.ts; the manifest's env wins over it).
     */
    code: Promise<{ text: string | undefined; secretEnv: Record<string, string>; runtimeEnv?: Record<string, string> }>,
    private readonly hooks: InstanceHooks,
    private readonly clock: Clock,
  ) {
    this.lastUsedAt = clock.now();
    proc.onOutput = (stream, line) => this.hooks.onLog(this.soleInvocation(), stream, line);
    this.started = new Promise<void>((resolve, reject) => {
      // The clock starts once the process is up: a slow spawn under load is not the function's init.
      let initTimer: NodeJS.Timeout | undefined;
      void proc.ready.then(
        () => {
          this.booted = true;
          if (this.state !== 'starting') return;
          initTimer = setTimeout(() => {
            this.initError = `init did not finish within ${initTimeoutMs(fn) / 1000} s`;
            reject(new Error(this.initError));
            proc.kill('init-timeout');
          }, initTimeoutMs(fn));
        },
        () => {},
      );
      proc.onMessage = (m) => {
        if (m.t === 'loaded') {
          clearTimeout(initTimer);
          this.initMs = m.initMs;
          this.readyAt = this.clock.now();
          if (this.state === 'starting') this.state = this.slots > 0 ? 'busy' : 'idle';
          proc.onMessage = (msg) => this.receive(msg);
          resolve();
          // Free slots can take queued requests now.
          if (this.state === 'idle' || this.state === 'busy') this.hooks.onSlotFree(this);
        } else if (m.t === 'loadError') {
          clearTimeout(initTimer);
          this.initError = placed(m.error);
          reject(Object.assign(new Error(m.error.message), { stack: m.error.stack }));
          void proc.stop(200);
        } else if (m.t === 'log') {
          this.hooks.onLog(m.id ?? this.soleInvocation(), m.s === 1 ? 'stdout' : 'stderr', m.line);
        } else if (m.t === 'call' || m.t === 'part') {
          // Module init may use bindings too (top-level await).
          this.hooks.onBinding(m);
        }
      };
      void proc.exited.then((exit) => {
        clearTimeout(initTimer);
        // A process that never came up failed before the function's code was sent: the node's
        // failure (the sandbox launcher's, or the node stopped it), not the function's init error.
        if (this.neverCameUp(exit)) return reject(Object.assign(new Error(bootFailure(exit)), { boot: true, killedFor: exit.killedFor }));
        if (this.state === 'starting' && !exit.oom)
          this.initError ??= exit.violation !== undefined ? `it broke the sandbox protocol: ${exit.violation}` : `the process exited during init (code ${exit.code}, signal ${exit.signal})`;
        reject(new Error(exit.oom ? 'ran out of memory during init' : (this.initError ?? 'the process exited')));
      });
    });
    this.started.catch(() => {});
    void proc.exited.then((exit) => this.died(exit));
    const { handler, env, memory } = fn.config;
    void code
      .then(({ text, secretEnv, runtimeEnv }) => {
        if (text === undefined) throw new Error(`the bundle ${fn.codeHash} of ${fn.app}/${fn.name} v${fn.version} is missing from the store`);
        proc.send({
          t: 'load',
          code: text,
          env: { ...env, ...secretEnv },
          ...(runtimeEnv ? { runtimeEnv } : {}),
          fn: { app: fn.app, name: fn.name, version: fn.version, memory, handlerExport: handler.export, concurrency: fn.config.instanceConcurrency },
          bindings: fn.config.bindings ?? {},
        });
        for (const m of this.unsent ?? []) proc.send(m);
        this.unsent = undefined;
      })
      .catch((err: unknown) => {
        this.initError = (err as Error).message;
        this.hooks.onLog(null, 'system', `cannot start instance: ${this.initError}`);
        proc.kill('protocol');
      });
  }

  /**
   * Invocations sent ahead to a loaded, busy instance of a fast function (0, or SEND_AHEAD when
   * the scheduler says so): they wait in the sandbox behind the running one, so the process picks the next one
   * up without going back to sleep — a wake-up per request is the cost of a sub-ms function.
   */
  ahead = 0;

  get capacity(): number {
    return this.fn.config.instanceConcurrency;
  }

  /** Can take another invocation now or once started (or wait in it, `ahead`). */
  get available(): boolean {
    if (this.state === 'starting') return this.slots < this.capacity;
    return (this.state === 'idle' || this.state === 'busy') && this.slots < this.capacity + this.ahead;
  }

  /** Can run another invocation at once. */
  get hasFreeSlot(): boolean {
    return (this.state === 'idle' || this.state === 'busy') && this.slots < this.capacity;
  }

  /** How long the oldest in-flight invocation has run, ms (0 when none). */
  longestRunningMs(now = performance.now()): number {
    let oldest = now;
    for (const p of this.pending.values()) if (p.armed && p.sentAt < oldest) oldest = p.sentAt;
    return now - oldest;
  }

  /** Reserve a slot before awaiting `started`, so concurrent requests never oversubscribe. */
  reserve(now: number): void {
    this.slots++;
    this.served++;
    this.lastUsedAt = now;
    if (this.state === 'idle') this.state = 'busy';
  }

  /**
   * Run one invocation on a reserved slot. Never rejects. On a starting instance the message is
   * sent at once (the sandbox runs it as soon as the bundle is loaded: no extra round trip) and
   * the timeout clock starts when the load has finished, as init has its own limit.
   */
  invoke(id: string, input: InvocationInput, timeoutMs: number, sink?: StreamSink): Promise<InvokeResult> {
    return new Promise<InvokeResult>((resolve) => {
      const entry: Pending = { resolve, sentAt: performance.now(), timedOut: false, timer: undefined, first: this.served <= 1, armed: false, timeoutMs, sink, stream: undefined };
      this.pending.set(id, entry);
      if (this.state === 'starting')
        this.started.then(
          () => this.armWaiting(),
          () => {},
        );
      else this.armWaiting();
      const message: HostMessage =
        input.kind === 'http'
          ? { t: 'http', id, timeoutMs, req: input.req, ...(input.traceparent ? { traceparent: input.traceparent } : {}) }
          : { t: 'event', id, timeoutMs, event: input.event, ...(input.shape ? { shape: input.shape } : {}), ...(input.traceparent ? { traceparent: input.traceparent } : {}) };
      if (this.unsent) this.unsent.push(message);
      else this.proc.send(message);
    });
  }

  /**
   * Start the timeout clocks of invocations that run now: the sandbox runs at most
   * instanceConcurrency at once (waitUntil work holds a place), the rest wait there in order.
   */
  private armWaiting(): void {
    if (this.state === 'starting' || this.state === 'dead') return;
    let running = this.settling.size;
    for (const e of this.pending.values()) if (e.armed) running++;
    for (const [id, entry] of this.pending) {
      if (running >= this.capacity) return;
      if (entry.armed) continue;
      entry.armed = true;
      running++;
      entry.sentAt = performance.now();
      entry.timer = setTimeout(() => {
        entry.timedOut = true;
        this.finish(id, { ok: false, code: 'FUNCTION_TIMEOUT', message: `the function did not finish within its timeout of ${entry.timeoutMs / 1000} s; the instance was stopped`, rss: null });
        this.proc.kill('timeout');
      }, entry.timeoutMs);
    }
  }

  /** Stop taking work; stop the process once in-flight work is done. */
  retire(): void {
    if (this.state === 'dead' || this.state === 'draining') return;
    this.state = 'draining';
    if (this.slots === 0) void this.proc.stop();
  }

  private receive(m: SandboxMessage): void {
    switch (m.t) {
      case 'log':
        this.hooks.onLog(m.id ?? this.soleInvocation(), m.s === 1 ? 'stdout' : 'stderr', m.line);
        return;
      case 'done':
        this.notePeak(m.rss);
        this.timing(m.id, m.ms, m.cpu);
        // Only for an invocation in flight here: forged ids must not grow the set (or hold slots).
        if (m.pending && this.pending.has(m.id)) this.settling.add(m.id);
        this.finish(m.id, { ok: true, res: m.res, value: m.value, rss: m.rss, retry: m.retry }, m.pending === true);
        return;
      case 'error':
        this.notePeak(m.rss);
        this.timing(m.id, m.ms, m.cpu);
        // errorType and errorMessage: the thrown error's name (TypeError…) and bare message, which the
        // Lambda API reports as Lambda does (the place in the user's source goes in `message` only).
        this.finish(m.id, { ok: false, code: m.code, message: placed(m.error), rss: m.rss, errorType: m.error.name, errorMessage: m.error.message });
        return;
      case 'settled':
        if (this.settling.delete(m.id)) this.releaseSlot();
        return;
      case 'head':
      case 'chunk':
      case 'end':
        this.receiveStream(m);
        return;
      case 'call':
      case 'part':
        this.hooks.onBinding(m);
        return;
      default:
        return;
    }
  }

  /** The messages of a streamed response (stream.ts); one for an invocation not in flight here is ignored. */
  private receiveStream(m: Extract<SandboxMessage, { t: 'head' | 'chunk' | 'end' }>): void {
    const entry = this.pending.get(m.id);
    if (!entry) return;
    if (m.t === 'end') {
      this.notePeak(m.rss);
      this.timing(m.id, m.ms, m.cpu);
      const stream = entry.stream;
      const info = stream?.info;
      if (!stream || !info) {
        this.finish(m.id, { ok: false, code: 'INVALID_RESPONSE', message: 'the function ended a streamed response it never started', rss: m.rss });
        return;
      }
      if (m.pending) this.settling.add(m.id);
      const result: InvokeResult = stream.cut ? { ok: false, ...stream.cut, rss: m.rss, stream: info } : { ok: true, rss: m.rss, stream: info };
      this.finish(m.id, result, m.pending === true);
      return;
    }
    const stream = (entry.stream ??= new HostStream(
      m.id,
      entry.sink,
      (msg) => this.proc.send(msg),
      this.maxStreamBytes,
      (line) => this.hooks.onLog(m.id, 'system', line),
    ));
    const violation = m.t === 'head' ? stream.head(m.status, m.headers) : stream.chunk(m.data, m.b64);
    if (violation !== undefined) {
      this.hooks.onLog(null, 'system', `[nimbus] instance stopped: it broke the sandbox protocol: ${violation}`);
      this.proc.kill('protocol');
    }
  }

  private finish(id: string, result: InvokeResult, keepSlot = false): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    // A stream that fails after its head (timeout, crash, error) is cut short for the client.
    if (entry.stream) {
      entry.stream.finish(result.ok);
      const info = entry.stream.info;
      if (info && !result.ok && !result.stream) result = { ...result, stream: info };
    }
    entry.resolve(result);
    if (!keepSlot) this.releaseSlot();
  }

  private releaseSlot(): void {
    this.slots = Math.max(0, this.slots - 1);
    this.armWaiting();
    this.afterSlotFreed();
  }

  private timing(id: string, ms: number | undefined, cpu: number | undefined): void {
    const entry = this.pending.get(id);
    if (entry && !entry.first && this.hooks.onTiming) this.hooks.onTiming(performance.now() - entry.sentAt, ms, cpu);
  }

  private afterSlotFreed(): void {
    if (this.state === 'busy' && this.slots === 0) {
      this.state = 'idle';
      // A long invocation lowered its priority; idle, it gets it back for the next one.
      this.proc.reprioritize();
    }
    if (this.state === 'draining' && this.slots === 0) void this.proc.stop();
    if (this.state !== 'dead') this.hooks.onSlotFree(this);
  }

  private notePeak(rss: number): void {
    if (rss > this.peakRss) this.peakRss = rss;
  }

  private soleInvocation(): string | null {
    if (this.pending.size !== 1) return null;
    return this.pending.keys().next().value ?? null;
  }

  private died(exit: ExitInfo): void {
    this.state = 'dead';
    // Nothing ran in a process that never came up: its invocations may run on another instance.
    const neverBooted = this.neverCameUp(exit);
    const code: ErrorCode = neverBooted ? 'SPAWN_FAILED' : exit.oom ? 'FUNCTION_OOM' : this.initError !== undefined ? 'FUNCTION_INIT_ERROR' : 'FUNCTION_CRASHED';
    // The launcher's last words go to the function's log, not to callers (they are the host's).
    if (neverBooted && exit.killedFor === null) this.hooks.onLog(null, 'system', `[nimbus] ${bootFailure(exit)}`);
    const message = neverBooted
      ? 'the node could not start a sandbox process for the function (it exited before it came up); retry later'
      : this.initError !== undefined && !exit.oom
        ? `the function failed to initialise: ${this.initError}`
        : exit.oom
          ? `the function exceeded its memory limit of ${this.fn.config.memory} MB; the instance was stopped`
          : exit.violation !== undefined
            ? `the instance broke the sandbox protocol and was stopped: ${exit.violation}`
            : exit.killedFor === 'timeout'
              ? 'the instance was stopped because another invocation on it timed out'
              : `the instance process died (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`})`;
    const loaded = this.readyAt !== undefined && this.initError === undefined;
    for (const [id, entry] of [...this.pending]) this.finish(id, { ok: false, code, message, rss: null, ...(neverBooted || (loaded && !entry.armed) ? { notStarted: true } : {}) });
    this.settling.clear();
    this.slots = 0;
    this.hooks.onDead(this, exit);
  }

  /** It exited before the shim said `ready`, so none of the function ran (an OOM keeps its own report). */
  private neverCameUp(exit: ExitInfo): boolean {
    return !this.booted && this.initError === undefined && !exit.oom;
  }
}

/** Why a sandbox process exited before it came up (its launcher's last words, e.g. bubblewrap's). */
function bootFailure(exit: ExitInfo): string {
  const said = exit.stderrTail.trim().split('\n').at(-1)?.slice(0, 300);
  return `the sandbox process exited before it started (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`}${said ? `: ${said}` : ''}); the function's code was not run`;
}

/** The error's message and where in the user's sources it was thrown, for records and `nimbus invoke`. */
function placed(error: { message: string; at?: string | undefined }): string {
  return error.at === undefined ? error.message : `${error.message} (at ${error.at})`;
}

function initTimeoutMs(fn: FunctionVersion): number {
  return Math.max(MIN_INIT_TIMEOUT_MS, fn.config.timeout * 1000);
}

/**
 * The event dispatcher: moves due events from the queue into the runtime.
 *
 * One pass: for each target with due events (rotating which goes first), resolve the function's
 * active version (gone → its events are dead-lettered), wait for a batch window if one applies,
 * then claim only as many events as may run now: the per-target and node-wide in-flight caps
 * bound the claim, and `runtime.hasCapacity` is asked before every delivery, so throttled events
 * stay in the queue instead of failing (events claimed but not started are released, their
 * attempt not counted). Invocations run concurrently; their outcomes are settled in batches
 * (settle.ts, decisions in delivery.ts).
 *
 * Passes run when woken: on every committed enqueue or redrive (no poll delay for fresh
 * events), when a delivery finishes (capacity freed), and on a timer for the next scheduled
 * retry (or a short recheck while due events wait for capacity).
 */
import { availableParallelism } from 'node:os';
import type { FunctionVersion, LogStream, TriggerKind } from '../domain/index.js';
import type { InvocationInput } from '../runtime/index.js';
import type { InvocationOutcome, InvokeMeta } from '../runtime/runtime.js';
import type { Clock } from '../shared/clock.js';
import type { TopicPublisher } from '../triggers/port.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { batchWindowOf, toDeliveries, type Delivery } from './batch.js';
import { decide, refuse, type DeliveryOutcome } from './delivery.js';
import type { DueTarget, EventQueue, EventSource, EventTarget } from './port.js';
import { IDEMPOTENCY_TTL_MS } from './rules.js';
import type { EventService, FunctionLookup } from './service.js';
import { Settler } from './settle.js';
import { endAttempt, startAttempt } from './trace.js';
import type { Tracer } from '@opentelemetry/api';

/** What the dispatcher needs of the Runtime. */
export interface DispatcherRuntime {
  invoke(fn: FunctionVersion, input: InvocationInput, meta: InvokeMeta): Promise<InvocationOutcome>;
  hasCapacity(fn: FunctionVersion): boolean;
  log?(fn: { app: string; function: string; version: number; id: string | null }, stream: LogStream, line: string): void;
}

export interface EventDispatcherOptions {
  queue: EventQueue;
  events: EventService;
  runtime: DispatcherRuntime;
  functions: FunctionLookup;
  clock: Clock;
  /** Topic destinations go through it; without it they are skipped with a warning. */
  publish?: TopicPublisher | undefined;
  /** Make finished attempts' invocation records durable (telemetry flush) before their events are settled. */
  flushRecords?: () => Promise<void>;
  /** Each retry scheduled and each event dead-lettered (metrics). */
  onOutcome?: (app: string, fn: string, outcome: 'retry' | 'dead') => void;
  backoff?: BackoffOptions;
  /** Deliveries in flight on the node. Default 64. */
  maxInFlight?: number;
  /** Deliveries in flight per function. Default 64. */
  maxInFlightPerTarget?: number;
  /**
   * Instances' worth of deliveries per function: in flight at most this × instanceConcurrency (and
   * never more than its `concurrency` allows). Default max(4, 2 × CPUs): a backlog of async events
   * must not start a hundred processes for work a few instances finish sooner on a small node;
   * functions that wait on I/O get more in flight through instanceConcurrency.
   */
  instancesPerTarget?: number;
  /** Settle finished deliveries in batches gathered over this many ms. Default 5. */
  settleMs?: number;
  log?: (line: string) => void;
  /** The node's tracer: a span per delivery attempt (queue/trace.ts). */
  tracer?: Tracer;
}

/** How soon to look again while due events wait for capacity. */
const RECHECK_MS = 50;
const DEFAULT_INSTANCES_PER_TARGET = Math.max(4, 2 * availableParallelism());
const PRUNE_EVERY_MS = 10 * 60_000;
/** Events of a deleted function dead-lettered per pass. */
const MISSING_CHUNK = 500;

const TRIGGER: Record<EventSource, TriggerKind> = { invoke: 'event', destination: 'event', schedule: 'schedule', topic: 'topic', webhook: 'webhook', bucket: 'bucket', email: 'email' };

export class EventDispatcher {
  private inFlight = 0;
  private readonly perTarget = new Map<string, number>();
  private readonly deliveries = new Set<Promise<void>>();
  private running: Promise<void> | undefined;
  private again = false;
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private housekeeping: NodeJS.Timeout | undefined;
  private started = false;
  private closing = false;
  private closed = false;
  private rotation = 0;
  private readonly settler: Settler;
  private readonly unsubscribe: () => void;
  private readonly log: (line: string) => void;
  private readonly backoff: BackoffOptions;

  constructor(private readonly o: EventDispatcherOptions) {
    this.log = o.log ?? (() => {});
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.settler = new Settler({
      queue: o.queue,
      clock: o.clock,
      flushRecords: o.flushRecords,
      onOutcome: o.onOutcome,
      delayMs: o.settleMs ?? 5,
      log: this.log,
      destinations: { events: o.events, publish: o.publish, log: this.log },
      onSettled: () => this.wake(),
    });
    const local = o.events.onEnqueue(() => this.wake());
    const outside = o.queue.onOutsideWork?.(() => this.wake());
    this.unsubscribe = () => {
      local();
      outside?.();
    };
  }

  /** Begin delivering (call after deployments are loaded and the queue recovered). */
  start(): void {
    if (this.started || this.closing) return;
    this.started = true;
    const prune = () => void this.o.queue.pruneIdempotency(this.o.clock.now() - IDEMPOTENCY_TTL_MS).catch((err: Error) => this.log(`events: pruning idempotency keys failed: ${err.message}`));
    prune();
    this.housekeeping = setInterval(prune, PRUNE_EVERY_MS);
    this.housekeeping.unref();
    this.wake();
  }

  /** Run a pass soon (coalesced). */
  wake(): void {
    if (!this.started || this.closing) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.immediate ??= setImmediate(() => this.loop());
  }

  /** Deliveries in flight right now. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /**
   * One pass over the due targets; returns ms until the next pass is needed (null: only a wake
   * will bring work). Public so tests with a fake clock can drive the dispatcher step by step.
   */
  async pass(): Promise<number | null> {
    const now = this.o.clock.now();
    const due = await this.o.queue.dueTargets(now);
    let wakeAt = Infinity;
    const start = due.length === 0 ? 0 : this.rotation++ % due.length;
    for (let i = 0; i < due.length && !this.closing; i++) {
      const waitUntil = await this.serve(due[(start + i) % due.length]!, now);
      wakeAt = Math.min(wakeAt, waitUntil);
    }
    // Due events left behind are accounted for by serve(): capacity → recheck, caps → a finishing
    // delivery wakes the loop, batch window → its end. Only future events need the timer here.
    const next = await this.o.queue.nextRunAt();
    if (next !== null && next > now) wakeAt = Math.min(wakeAt, next);
    return wakeAt === Infinity ? null : Math.max(0, wakeAt - now);
  }

  /** Resolves when every delivery in flight has finished and been settled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries]);
    await this.settler.flush();
  }

  /**
   * Stop claiming; wait up to `graceMs` for deliveries in flight, settle them, stop. Outcomes
   * arriving later are dropped: those events stay running and the next start retries them.
   */
  async close(graceMs = 10_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.unsubscribe();
    clearTimeout(this.timer);
    clearInterval(this.housekeeping);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    await this.running;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled([...this.deliveries]), grace]);
    clearTimeout(timer);
    await this.settler.flush();
    this.closed = true;
  }

  private loop(): void {
    this.immediate = undefined;
    if (this.running || this.closing) return;
    clearTimeout(this.timer);
    this.running = (async () => {
      let delay: number | null = null;
      do {
        this.again = false;
        delay = await this.pass();
      } while (this.again && !this.closing);
      if (delay !== null && !this.closing) {
        this.timer = setTimeout(() => this.wake(), delay);
        this.timer.unref();
      }
    })()
      .catch((err: Error) => {
        this.log(`events: dispatcher pass failed, retrying in 1 s: ${err.stack ?? err.message}`);
        this.timer = setTimeout(() => this.wake(), 1000);
        this.timer.unref();
      })
      .finally(() => {
        this.running = undefined;
        // A wake that came while the last pass was finishing must not be lost.
        if (this.again) this.wake();
      });
  }

  /** Serve one due target; returns when it wants another look (Infinity: when woken). */
  private async serve(t: DueTarget, now: number): Promise<number> {
    const fn = this.o.functions.current(t.app, t.function);
    if (!fn) {
      await this.deadLetterMissing(t, now);
      return Infinity;
    }
    const batch = batchWindowOf(fn);
    if (batch.size > 1 && batch.windowMs > 0 && t.due < batch.size && now < t.oldestRunAt + batch.windowMs) return t.oldestRunAt + batch.windowMs;
    const k = key(t);
    const budget = Math.min(this.targetCap(fn) - (this.perTarget.get(k) ?? 0), (this.o.maxInFlight ?? 64) - this.inFlight);
    // At a cap, a finishing delivery wakes the loop; without capacity (sync traffic holds it), a recheck.
    if (budget <= 0) return Infinity;
    if (!this.o.runtime.hasCapacity(fn)) return now + RECHECK_MS;
    const claimed = await this.o.queue.claim(t, Math.min(t.due, budget * batch.size), now);
    const ready = claimed.filter((e) => {
      const refusal = refuse(e, now);
      if (refusal) this.settler.add(fn, refusal);
      if (refusal?.log !== undefined) {
        // No invocation id: none ran (a record-less id would also be held by the runtime for good).
        this.o.runtime.log?.({ app: fn.app, function: fn.name, version: fn.version, id: null }, 'system', refusal.log);
        this.log(`events: ${fn.app}/${fn.name}: ${refusal.log}`);
      }
      return refusal === null;
    });
    // Refused events start no delivery whose end would wake the loop: look again at once.
    if (ready.length < claimed.length) this.again = true;
    const left: string[] = [];
    for (const d of toDeliveries(fn, ready)) {
      const room = (this.perTarget.get(k) ?? 0) < this.targetCap(fn) && this.inFlight < (this.o.maxInFlight ?? 64);
      if (left.length === 0 && room && !this.closing && this.o.runtime.hasCapacity(fn)) this.deliver(fn, d, k);
      else left.push(...d.events.map((e) => e.id));
    }
    if (left.length === 0) return Infinity;
    await this.o.queue.release(left, now);
    return now + RECHECK_MS;
  }

  private deliver(fn: FunctionVersion, d: Delivery, k: string): void {
    this.inFlight++;
    this.perTarget.set(k, (this.perTarget.get(k) ?? 0) + 1);
    const first = d.events[0]!;
    // A retried attempt says so in the log, which also keeps its REPORT line in the stored log.
    if (first.attempts > 1 && d.events.length === 1) {
      this.o.runtime.log?.(
        { app: fn.app, function: fn.name, version: fn.version, id: d.id },
        'system',
        `RETRY attempt ${first.attempts} of ${first.maxAttempts} (previous: ${first.lastError ?? 'interrupted'})`,
      );
    }
    const input: InvocationInput = { kind: 'event', event: d.payload, shape: d.shape };
    // A batch runs as deep in a chain as its deepest event: what it causes is one hop further.
    const hop = Math.max(...d.events.map((e) => e.hop));
    const trace = startAttempt(this.o.tracer, fn, d);
    const meta: InvokeMeta = { id: d.id, trigger: TRIGGER[first.source], startedAt: this.o.clock.now(), hop };
    if (trace.traceparent !== undefined) meta.traceparent = trace.traceparent;
    const run = this.o.runtime
      .invoke(fn, input, meta)
      .then((outcome) => {
        endAttempt(trace, outcome.ok, outcome.ok ? undefined : outcome.error.code);
        this.inFlight--;
        const n = (this.perTarget.get(k) ?? 1) - 1;
        if (n === 0) this.perTarget.delete(k);
        else this.perTarget.set(k, n);
        if (this.closed) return;
        this.settler.add(fn, decide(d.events, deliveryOutcome(outcome), this.o.clock.now(), this.backoff));
        this.wake();
      })
      .catch((err: Error) => this.log(`events: delivery ${d.id} failed unexpectedly: ${err.stack ?? err.message}`));
    this.deliveries.add(run);
    void run.finally(() => this.deliveries.delete(run));
  }

  private targetCap(fn: FunctionVersion): number {
    const { concurrency, instanceConcurrency } = fn.config;
    const instances = Math.min(concurrency ?? Infinity, this.o.instancesPerTarget ?? DEFAULT_INSTANCES_PER_TARGET);
    return Math.max(1, Math.min(this.o.maxInFlightPerTarget ?? 64, instances * instanceConcurrency));
  }

  private async deadLetterMissing(t: EventTarget, now: number): Promise<void> {
    const events = await this.o.queue.claim(t, MISSING_CHUNK, now);
    const reason = `FunctionNotFound: ${t.app}/${t.function} is not deployed any more`;
    await Promise.all(events.map((e) => this.o.queue.deadLetter(e.id, reason, now)));
    if (events.length > 0) this.log(`events: dead-lettered ${events.length} event(s) of ${t.app}/${t.function}: the function is not deployed`);
    if (events.length === MISSING_CHUNK) this.again = true;
  }
}

function key(t: EventTarget): string {
  return `${t.app}/${t.function}`;
}

/** The runtime's outcome as delivery.ts sees it; a web handler's response becomes its JSON or text. */
function deliveryOutcome(o: InvocationOutcome): DeliveryOutcome {
  if (!o.ok) return { ok: false, code: o.error.code, message: o.error.message };
  const r = o.result as typeof o.result & { retry?: unknown };
  const retry = Array.isArray(r.retry) ? r.retry.filter((x): x is string => typeof x === 'string') : undefined;
  let value: unknown = r.value ?? null;
  if (r.value === undefined && r.res) {
    value = r.res.b64 ? r.res.body : parseOr(r.res.body);
  }
  return retry === undefined ? { ok: true, value } : { ok: true, value, retry };
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

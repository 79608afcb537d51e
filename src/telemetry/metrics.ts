/**
 * Prometheus metrics of one node (issue 10), named as Prometheus does and meaning what the
 * OpenTelemetry FaaS conventions mean (invocations, duration, cold starts, init duration).
 *
 * Each node owns its own prom-client `Registry`, never the global default one: tests start
 * several nodes in one process and each must see only its own figures.
 *
 * The hot path only adds to in-memory numbers (series.ts): `observe` is called once per invocation record,
 * from the one place every record passes through (TelemetryWriter.record), so counters agree
 * exactly with the stored records. Gauges (instances, pool, queues, event backlog) are computed at
 * scrape time by collect callbacks from `MetricSources`, so they cost nothing between scrapes.
 */
import { collectDefaultMetrics, Counter, Gauge, type Histogram, Registry } from 'prom-client';
import type { InvocationRecord } from '../domain/index.js';
import { FunctionSeries } from './function-series.js';
import { Buckets, ExternalHistogram, upsert } from './series.js';

/** One function's instances in one state (`starting`, `idle`, `busy`, `draining`). */
export interface InstanceCount {
  app: string;
  function: string;
  state: string;
  count: number;
}

/** One function's load now: invocations running, requests waiting for an instance. */
export interface FunctionLoad {
  app: string;
  function: string;
  concurrent: number;
  queued: number;
}

/** One function's async events due now (counted up to a cap) and the runAt (epoch ms) of the oldest. */
export interface EventBacklog {
  app: string;
  function: string;
  pending: number;
  oldestRunAt: number;
}

/** What scrape-time gauges read; each must be cheap (in memory, or one indexed query). */
export interface MetricSources {
  instances(): InstanceCount[];
  load(): FunctionLoad[];
  /** Ready pool processes per memory size (MB). */
  pool(): Record<number, number>;
  events?(): Promise<EventBacklog[]>;
  now(): number;
}

const MB_PER_GB = 1024;
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const INIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Invocations of one (app, function, version, trigger), by status. */
interface Calls {
  labels: { app: string; function: string; version: string; trigger: string };
  byStatus: Map<string, number>;
}
/** Durations of one (app, function, trigger). */
interface Durations {
  labels: { app: string; function: string; trigger: string };
  buckets: Buckets;
}
/** What is counted per (app, function). */
interface PerFunction {
  labels: { app: string; function: string };
  coldStarts: number;
  init: Buckets;
  billedGbSeconds: number;
}

/** Async outcomes of one function so far: failed deliveries scheduled again, events dead-lettered. */
interface EventOutcomeTally {
  app: string;
  function: string;
  retry: number;
  dead: number;
}

export class NodeMetrics {
  readonly registry = new Registry();
  /** What functions declare in EMF lines (function-series.ts; fed by FunctionMetrics). */
  readonly emf = new FunctionSeries(this.registry);
  // The hot path's aggregates (series.ts: why not prom-client's inc/observe).
  private readonly calls = new Map<string, Calls>();
  private readonly durations = new Map<string, Durations>();
  private readonly functions = new Map<string, PerFunction>();
  private readonly gateway = new Map<number, number>();
  /** Async event outcomes by app/function: retries scheduled and events dead-lettered. */
  private readonly eventOutcomes = new Map<string, EventOutcomeTally>();

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const { calls, durations, functions, gateway } = this;
    new Counter({
      name: 'nimbus_invocations_total',
      help: 'Invocations finished, by outcome (status as in invocation records: ok, error, timeout, oom, crashed, throttled, cancelled).',
      labelNames: ['app', 'function', 'version', 'trigger', 'status'],
      registers,
      collect() {
        this.reset();
        for (const c of calls.values()) for (const [status, n] of c.byStatus) this.inc({ ...c.labels, status }, n);
      },
    });
    this.registry.registerMetric(
      new ExternalHistogram('nimbus_invocation_duration_seconds', 'Wall time from accept to answer of each invocation.', DURATION_BUCKETS, () => durations.values()) as unknown as Histogram,
    );
    const perFunction = (name: string, help: string, pick: (f: PerFunction) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['app', 'function'],
        registers,
        collect() {
          this.reset();
          for (const f of functions.values()) this.inc(f.labels, pick(f));
        },
      });
    perFunction('nimbus_cold_starts_total', 'Invocations that started a new instance.', (f) => f.coldStarts);
    perFunction('nimbus_billed_gb_seconds_total', 'Memory (GB) × billed duration (s) of every invocation.', (f) => f.billedGbSeconds);
    this.registry.registerMetric(
      new ExternalHistogram('nimbus_init_duration_seconds', "Time spent loading the function's module on a cold start.", INIT_BUCKETS, function* () {
        for (const f of functions.values()) yield { labels: f.labels, buckets: f.init };
      }) as unknown as Histogram,
    );
    new Counter({
      name: 'nimbus_gateway_requests_total',
      help: 'Every answer of the public gateway by HTTP status, those that never reached a function (404, 413, 401, 429…) included.',
      labelNames: ['code'],
      registers,
      collect() {
        this.reset();
        for (const [code, n] of gateway) this.inc({ code: String(code) }, n);
      },
    });
    const outcomes = this.eventOutcomes;
    // Retries and dead letters: one counter each over the same per-function outcome tallies.
    const outcomeCounter = (name: string, help: string, count: (o: EventOutcomeTally) => number): void => {
      new Counter({
        name,
        help,
        labelNames: ['app', 'function'],
        registers,
        collect() {
          this.reset();
          for (const o of outcomes.values()) if (count(o) > 0) this.inc({ app: o.app, function: o.function }, count(o));
        },
      });
    };
    outcomeCounter('nimbus_event_retries_total', 'Async event deliveries that failed and were scheduled again (with backoff).', (o) => o.retry);
    outcomeCounter('nimbus_dead_letters_total', 'Async events of a deployed function moved to the dead-letter queue (retries exhausted, too old or recursive).', (o) => o.dead);
    new Gauge({
      name: 'nimbus_instances',
      help: 'Live instances by state (starting, idle, busy, draining).',
      labelNames: ['app', 'function', 'state'],
      registers,
      collect() {
        this.reset();
        for (const i of sources.instances()) this.set({ app: i.app, function: i.function, state: i.state }, i.count);
      },
    });
    new Gauge({
      name: 'nimbus_pool_processes',
      help: 'Pre-warmed generic sandbox processes ready, by memory size (MB).',
      labelNames: ['memory'],
      registers,
      collect() {
        this.reset();
        for (const [memory, n] of Object.entries(sources.pool())) this.set({ memory }, n);
      },
    });
    const load = (name: string, help: string, pick: (l: FunctionLoad) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['app', 'function'],
        registers,
        collect() {
          this.reset();
          for (const l of sources.load()) this.set({ app: l.app, function: l.function }, pick(l));
        },
      });
    load('nimbus_concurrent_executions', 'Invocations running now.', (l) => l.concurrent);
    load('nimbus_queued_requests', 'Requests waiting for an instance now.', (l) => l.queued);
    if (sources.events) {
      const events = sources.events.bind(sources);
      // One indexed query serves both gauges: the first collect of a scrape runs it, the second reuses it.
      let backlog: Promise<EventBacklog[]> | undefined;
      const read = (): Promise<EventBacklog[]> => {
        backlog ??= events().finally(() => setImmediate(() => (backlog = undefined)));
        return backlog;
      };
      new Gauge({
        name: 'nimbus_events_pending',
        help: 'Async events due for delivery now (counted up to 1000 per function).',
        labelNames: ['app', 'function'],
        registers,
        async collect() {
          this.reset();
          for (const b of await read()) this.set({ app: b.app, function: b.function }, b.pending);
        },
      });
      new Gauge({
        name: 'nimbus_event_age_seconds',
        help: 'Age of the oldest due async event (since it became due).',
        labelNames: ['app', 'function'],
        registers,
        async collect() {
          this.reset();
          const now = sources.now();
          for (const b of await read()) this.set({ app: b.app, function: b.function }, Math.max(0, now - b.oldestRunAt) / 1000);
        },
      });
    }
  }

  /** Count one invocation record (the hot path: map lookups and additions only). */
  observe(r: InvocationRecord): void {
    const version = String(r.version);
    const calls = upsert(this.calls, `${r.app}\0${r.function}\0${version}\0${r.trigger}`, () => ({
      labels: { app: r.app, function: r.function, version, trigger: r.trigger },
      byStatus: new Map<string, number>(),
    }));
    calls.byStatus.set(r.status, (calls.byStatus.get(r.status) ?? 0) + 1);
    const fnKey = `${r.app}\0${r.function}`;
    upsert(this.durations, `${fnKey}\0${r.trigger}`, () => ({ labels: { app: r.app, function: r.function, trigger: r.trigger }, buckets: new Buckets(DURATION_BUCKETS) })).buckets.observe(
      r.durationMs / 1000,
    );
    const fn = upsert(this.functions, fnKey, () => ({ labels: { app: r.app, function: r.function }, coldStarts: 0, init: new Buckets(INIT_BUCKETS), billedGbSeconds: 0 }));
    fn.billedGbSeconds += (r.memoryMb / MB_PER_GB) * (r.billedMs / 1000);
    if (r.coldStart) {
      fn.coldStarts++;
      if (r.initMs !== null) fn.init.observe(r.initMs / 1000);
    }
  }

  /** Count one answer of the public gateway. */
  /** An async event of app/function was scheduled for a retry or dead-lettered (the event settler). */
  eventSettled(app: string, fn: string, outcome: 'retry' | 'dead'): void {
    const o = upsert(this.eventOutcomes, `${app}\0${fn}`, () => ({ app, function: fn, retry: 0, dead: 0 }));
    o[outcome]++;
  }

  gatewayAnswer(status: number): void {
    this.gateway.set(status, (this.gateway.get(status) ?? 0) + 1);
  }

  /** The text exposition format (`text/plain; version=0.0.4`). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

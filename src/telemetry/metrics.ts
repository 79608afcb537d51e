/**
 * Prometheus metrics of one node (issue 10), named as Prometheus does and meaning what the
 * OpenTelemetry FaaS conventions mean (invocations, duration, cold starts, init duration).
 *
 * Each node owns its own prom-client `Registry`, never the global default one: tests start
 * several nodes in one process and each must see only its own figures.
 *
 * The hot path only increments in-memory values: `observe` is called once per invocation record,
 * from the one place every record passes through (TelemetryWriter.record), so counters agree
 * exactly with the stored records. Gauges (instances, pool, queues, event backlog) are computed at
 * scrape time by collect callbacks from `MetricSources`, so they cost nothing between scrapes.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { InvocationRecord } from '../domain/index.js';

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

export class NodeMetrics {
  readonly registry = new Registry();
  private readonly invocations: Counter<'app' | 'function' | 'version' | 'trigger' | 'status'>;
  private readonly duration: Histogram<'app' | 'function' | 'trigger'>;
  private readonly coldStarts: Counter<'app' | 'function'>;
  private readonly initDuration: Histogram<'app' | 'function'>;
  private readonly billed: Counter<'app' | 'function'>;
  private readonly gatewayRequests: Counter<'code'>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.invocations = new Counter({
      name: 'nimbus_invocations_total',
      help: 'Invocations finished, by outcome (status as in invocation records: ok, error, timeout, oom, crashed, throttled, cancelled).',
      labelNames: ['app', 'function', 'version', 'trigger', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'nimbus_invocation_duration_seconds',
      help: 'Wall time from accept to answer of each invocation.',
      labelNames: ['app', 'function', 'trigger'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.coldStarts = new Counter({ name: 'nimbus_cold_starts_total', help: 'Invocations that started a new instance.', labelNames: ['app', 'function'], registers });
    this.initDuration = new Histogram({
      name: 'nimbus_init_duration_seconds',
      help: "Time spent loading the function's module on a cold start.",
      labelNames: ['app', 'function'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.billed = new Counter({ name: 'nimbus_billed_gb_seconds_total', help: 'Memory (GB) × billed duration (s) of every invocation.', labelNames: ['app', 'function'], registers });
    this.gatewayRequests = new Counter({
      name: 'nimbus_gateway_requests_total',
      help: 'Every answer of the public gateway by HTTP status, those that never reached a function (404, 413, 401, 429…) included.',
      labelNames: ['code'],
      registers,
    });
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

  /** Count one invocation record (the hot path: in-memory increments only). */
  observe(r: InvocationRecord): void {
    const fn = { app: r.app, function: r.function };
    this.invocations.inc({ app: r.app, function: r.function, version: String(r.version), trigger: r.trigger, status: r.status });
    this.duration.observe({ app: r.app, function: r.function, trigger: r.trigger }, r.durationMs / 1000);
    this.billed.inc(fn, (r.memoryMb / MB_PER_GB) * (r.billedMs / 1000));
    if (r.coldStart) {
      this.coldStarts.inc(fn);
      if (r.initMs !== null) this.initDuration.observe(fn, r.initMs / 1000);
    }
  }

  /** Count one answer of the public gateway. */
  gatewayAnswer(status: number): void {
    this.gatewayRequests.inc({ code: String(status) });
  }

  /** The text exposition format (`text/plain; version=0.0.4`). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

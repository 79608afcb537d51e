/**
 * Metrics a function declares in its own output: every log line the host captures passes here
 * (server wiring: the runtime's onLog), lines in CloudWatch Embedded Metric Format (emf.ts) become
 * values of the function's metrics, on the node's Prometheus registry (function-series.ts) and in
 * the store (batched, like records and logs), where `GET …/functions/{fn}/metrics` reads them.
 *
 * Detected here, on the host, and not in the sandbox: a function cannot forge another function's
 * metrics, and a line the log quota dropped (log-gate.ts) is not counted either.
 */
import type { LogLine } from '../domain/index.js';
import type { FunctionMetricPoint, FunctionMetricQuery, FunctionMetricSummary } from '../store/function-metrics.js';
import { mightBeEmf, parseEmf } from './emf.js';
import type { FunctionSeries } from './function-series.js';

/** Where values are kept (SqliteFunctionMetrics). */
export interface FunctionMetricStore {
  append(points: readonly FunctionMetricPoint[]): void;
  summary(q: Omit<FunctionMetricQuery, 'limit'>): FunctionMetricSummary[];
  points(q: FunctionMetricQuery & { name: string }): FunctionMetricPoint[];
  pruneBefore(ts: number): number;
  deleteApp(app: string): number;
  close(): void;
}

export interface FunctionMetricsOptions {
  series: FunctionSeries;
  store: FunctionMetricStore;
  /** Batch period, ms (default 250). */
  flushMs?: number;
  /** Values are kept this long (default 7 days, as invocation records). */
  retentionMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

/** A line's own timestamp is believed within this much of the host's clock. */
const SKEW_MS = 3600_000;
const MAX_PENDING = 10_000;

export class FunctionMetrics {
  private pending: FunctionMetricPoint[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly o: FunctionMetricsOptions) {
    this.now = o.now ?? Date.now;
    const retention = o.retentionMs ?? 7 * 24 * 3600_000;
    this.pruneTimer = setInterval(() => this.guard(() => o.store.pruneBefore(this.now() - retention)), 10 * 60_000);
    this.pruneTimer.unref();
  }

  /** Every captured line of a function (the hot path: a character test for most). */
  line(l: LogLine): void {
    if (l.stream === 'system' || !mightBeEmf(l.line)) return;
    const values = parseEmf(l.line);
    if (values.length === 0) return;
    this.o.series.observe(l.app, l.function, values);
    if (this.pending.length >= MAX_PENDING) return;
    for (const v of values) {
      const ts = v.timestamp !== undefined && Math.abs(v.timestamp - l.ts) <= SKEW_MS ? Math.round(v.timestamp) : l.ts;
      this.pending.push({
        app: l.app,
        function: l.function,
        version: l.version,
        invocationId: l.invocationId,
        ts,
        namespace: v.namespace,
        name: v.name,
        unit: v.unit,
        value: v.value,
        dimensions: v.dimensions,
      });
    }
    this.timer ??= setTimeout(() => this.flush(), this.o.flushMs ?? 250);
    this.timer.unref();
  }

  /** Write what is pending (queries call this first, so a value printed is a value read). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.guard(() => this.o.store.append(batch), `dropped ${batch.length} function metric values`);
  }

  summary(q: Omit<FunctionMetricQuery, 'limit'>): FunctionMetricSummary[] {
    this.flush();
    return this.o.store.summary(q);
  }

  points(q: FunctionMetricQuery & { name: string }): FunctionMetricPoint[] {
    this.flush();
    return this.o.store.points(q);
  }

  /** An app was deleted: its metrics go with it. */
  appDeleted(app: string): void {
    this.flush();
    this.o.series.forget(app);
    this.guard(() => this.o.store.deleteApp(app));
  }

  close(): void {
    clearInterval(this.pruneTimer);
    this.flush();
    this.o.store.close();
  }

  private guard(work: () => unknown, what = 'function metrics'): void {
    try {
      work();
    } catch (err) {
      this.o.log?.(`telemetry: ${what}: ${(err as Error).message}`);
    }
  }
}

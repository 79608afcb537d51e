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

/**
 * Where values are kept: SqliteFunctionMetrics (one node) or PgFunctionMetrics (a cluster). Async,
 * so a store across the network fits; `close` stops what the store itself runs (a shared
 * connection pool is its backend's to end).
 */
export interface FunctionMetricStore {
  append(points: readonly FunctionMetricPoint[]): Promise<void>;
  summary(q: Omit<FunctionMetricQuery, 'limit'>): Promise<FunctionMetricSummary[]>;
  points(q: FunctionMetricQuery & { name: string }): Promise<FunctionMetricPoint[]>;
  pruneBefore(ts: number): Promise<number>;
  deleteApp(app: string): Promise<number>;
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
  /** Store writes, one after another: a query waits for the appends before it, a delete runs after them. */
  private writes: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly o: FunctionMetricsOptions) {
    this.now = o.now ?? Date.now;
    const retention = o.retentionMs ?? 7 * 24 * 3600_000;
    this.pruneTimer = setInterval(() => void this.serial(() => o.store.pruneBefore(this.now() - retention)), 10 * 60_000);
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
    this.timer ??= setTimeout(() => void this.flush(), this.o.flushMs ?? 250);
    this.timer.unref();
  }

  /** Write what is pending; resolves when it and every earlier write are done (failures are logged). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (batch.length === 0) return this.writes;
    this.pending = [];
    return this.serial(() => this.o.store.append(batch), `dropped ${batch.length} function metric values`);
  }

  async summary(q: Omit<FunctionMetricQuery, 'limit'>): Promise<FunctionMetricSummary[]> {
    await this.flush();
    return this.o.store.summary(q);
  }

  async points(q: FunctionMetricQuery & { name: string }): Promise<FunctionMetricPoint[]> {
    await this.flush();
    return this.o.store.points(q);
  }

  /** An app was deleted: its metrics go with it (after the values pending for it are written). */
  appDeleted(app: string): void {
    void this.flush();
    this.o.series.forget(app);
    void this.serial(() => this.o.store.deleteApp(app));
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.flush();
    this.o.store.close();
  }

  private serial(work: () => Promise<unknown>, what = 'function metrics'): Promise<void> {
    this.writes = this.writes.then(work).then(
      () => {},
      (err: unknown) => this.o.log?.(`telemetry: ${what}: ${(err as Error).message}`),
    );
    return this.writes;
  }
}

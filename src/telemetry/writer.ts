/**
 * Invocation records and log lines are written in batches: the gateway only appends to an array,
 * and one transaction per flush carries everything since the last one. At ~20k invocations/s a
 * write per invocation would stall the event loop; one commit per 50 ms does not.
 * Records not yet flushed are still visible through `pendingInvocation`.
 */
import type { InvocationRecord, LogLine } from '../domain/index.js';
import type { Store } from '../store/index.js';
import type { TelemetrySink } from './sink.js';
import { StoreSink } from './sink.js';

export interface TelemetryWriterOptions {
  store: Store;
  /** Where batches are committed; default: straight into `store` on this thread. */
  sink?: TelemetrySink;
  flushMs?: number;
  /** Flush early once this many rows wait. */
  maxBatch?: number;
  /** Keep records and logs this long (ms). Default 7 days. */
  retentionMs?: number;
  log?: (line: string) => void;
  /** Sees every record as it is accepted (the node's metrics count here, so they agree with the records). */
  observe?: (r: InvocationRecord) => void;
  /** This node's id in a cluster: every record says which node ran it. */
  nodeId?: string;
}

export class TelemetryWriter {
  private records: InvocationRecord[] = [];
  private reports: InvocationRecord[] = [];
  private lines: LogLine[] = [];
  private readonly byId = new Map<string, InvocationRecord>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly sink: TelemetrySink;

  constructor(private readonly options: TelemetryWriterOptions) {
    this.sink = options.sink ?? new StoreSink(options.store);
    const retention = options.retentionMs ?? 7 * 24 * 3600_000;
    this.pruneTimer = setInterval(() => void options.store.pruneBefore(Date.now() - retention).catch(() => {}), 10 * 60_000);
    this.pruneTimer.unref();
  }

  /**
   * Queue a record. `report`: also store its REPORT log line — done when the invocation wrote
   * output or failed, so a log stream shows it after the output; for a silent successful
   * invocation the line is derived on read (`nimbus logs --invocation`), which halves the rows
   * written per invocation on the hot path.
   */
  record(record: InvocationRecord, report = true): void {
    const r = this.options.nodeId === undefined ? record : { ...record, node: this.options.nodeId };
    this.options.observe?.(r);
    this.records.push(r);
    if (report || r.status !== 'ok') this.reports.push(r);
    this.byId.set(r.id, r);
    this.schedule();
  }

  log(line: LogLine): void {
    this.lines.push(line);
    this.schedule();
  }

  /** A record accepted but maybe not yet in the store. */
  pendingInvocation(id: string): InvocationRecord | undefined {
    return this.byId.get(id);
  }

  /** Write everything queued so far. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const { records, lines, reports } = this;
    if (records.length === 0 && lines.length === 0) return this.flushing;
    this.records = [];
    this.lines = [];
    this.reports = [];
    this.flushing = this.flushing.then(async () => {
      try {
        await this.sink.write(records, lines, reports);
      } catch (err) {
        this.options.log?.(`telemetry: dropped ${records.length} records and ${lines.length} log lines: ${(err as Error).message}`);
      } finally {
        for (const r of records) this.byId.delete(r.id);
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.flush();
    await this.sink.close();
  }

  private schedule(): void {
    if (this.records.length + this.lines.length >= (this.options.maxBatch ?? 5000)) {
      void this.flush();
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.options.flushMs ?? 50);
      this.timer.unref();
    }
  }
}

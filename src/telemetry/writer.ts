/**
 * Invocation records and log lines are written in batches: the gateway only appends to an array,
 * and one transaction per flush carries everything since the last one. At ~20k invocations/s a
 * write per invocation would stall the event loop; one commit per 50 ms does not.
 * Records not yet flushed are still visible through `pendingInvocation`.
 *
 * A batch the store refuses for a reason that passes (the database restarting or failing over, a
 * lost connection, a busy SQLite file) is kept and written again, in order, once a second, for up
 * to a minute and 50,000 rows; past either it is dropped with a log line, as any other failure is
 * at once.
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
  /** Batches refused for a passing reason: the pause between tries (default 1 s) and how long they are kept (default RETAIN_MS). */
  retryMs?: number;
  retainMs?: number;
}

/** How long a batch refused by a passing failure is kept for another try. */
export const RETAIN_MS = 60_000;
/** Records and log lines kept for another try, all batches together. */
export const MAX_RETAINED_ROWS = 50_000;
/** The pause between tries while the store refuses. */
const RETRY_MS = 1_000;

interface Batch {
  records: InvocationRecord[];
  lines: LogLine[];
  reports: InvocationRecord[];
  /** When the store first refused it (undefined: never tried). */
  failedAt?: number;
}

/** A failure that passes: the connection, not the data (pg error classes 08 and 57P, SQLite busy). */
export function isPassing(err: unknown): boolean {
  const raw = (err as { code?: unknown } | undefined)?.code;
  const code = typeof raw === 'string' ? raw : '';
  if (['DATABASE_UNAVAILABLE', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'SQLITE_BUSY', 'SQLITE_LOCKED'].includes(code)) return true;
  if (/^(08|57P)/.test(code)) return true;
  return /connection (terminated|timeout|refused|error)|terminating connection|timeout exceeded when trying to connect|database is locked/i.test((err as Error)?.message ?? '');
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
  /** Batches the store refused for a passing reason, oldest first. */
  private retained: Batch[] = [];
  private retryAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closing = false;

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

  /** Write everything queued so far (and, when their pause is over, the batches kept for another try). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const { records, lines, reports } = this;
    if (records.length === 0 && lines.length === 0 && this.retained.length === 0) return this.flushing;
    this.records = [];
    this.lines = [];
    this.reports = [];
    this.flushing = this.flushing.then(async () => {
      if (records.length > 0 || lines.length > 0) this.retained.push({ records, lines, reports });
      // While the store refuses, new batches wait their turn instead of knocking once every 50 ms.
      if (!this.closing && Date.now() < this.retryAt) {
        // (A timer may fire a millisecond early by Date.now(): it arms again.)
        this.trim();
        this.armRetry();
        return;
      }
      while (this.retained.length > 0) {
        const batch = this.retained[0]!;
        try {
          await this.sink.write(batch.records, batch.lines, batch.reports);
        } catch (err) {
          const now = Date.now();
          if (this.closing || !isPassing(err) || now - (batch.failedAt ?? now) >= (this.options.retainMs ?? RETAIN_MS)) {
            this.retained.shift();
            this.drop(batch, `${(err as Error).message}${batch.failedAt === undefined ? '' : ` (kept for another try for ${Math.round((now - batch.failedAt) / 1000)} s)`}`);
            continue;
          }
          if (this.retryAt === 0) this.options.log?.(`telemetry: the store refused a batch (${(err as Error).message}); records and log lines are kept and written again once it answers`);
          batch.failedAt ??= now;
          this.retryAt = now + (this.options.retryMs ?? RETRY_MS);
          this.trim();
          this.armRetry();
          return;
        }
        this.retained.shift();
        this.forget(batch);
        if (this.retryAt !== 0 && this.retained.length === 0) this.options.log?.('telemetry: the store answers again; every record and log line kept meanwhile is written');
      }
      this.retryAt = 0;
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    clearTimeout(this.retryTimer);
    this.closing = true;
    await this.flush();
    await this.sink.close();
  }

  /** Past the cap, the oldest batches go. */
  private trim(): void {
    let rows = this.retained.reduce((n, b) => n + b.records.length + b.lines.length, 0);
    while (rows > MAX_RETAINED_ROWS && this.retained.length > 1) {
      const oldest = this.retained.shift()!;
      rows -= oldest.records.length + oldest.lines.length;
      this.drop(oldest, `more than ${MAX_RETAINED_ROWS} rows wait for the store`);
    }
  }

  private armRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.flush(), Math.max(0, this.retryAt - Date.now()));
    this.retryTimer.unref();
  }

  private drop(batch: Batch, why: string): void {
    this.forget(batch);
    this.options.log?.(`telemetry: dropped ${batch.records.length} records and ${batch.lines.length} log lines: ${why}`);
  }

  private forget(batch: Batch): void {
    for (const r of batch.records) this.byId.delete(r.id);
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

/**
 * Where batches of invocation records and log lines go. `StoreSink` writes on the calling
 * thread (unit tests, networked stores); `SqliteWorkerSink` hands batches to a worker thread with
 * its own SQLite connection, so a commit never blocks the gateway's event loop.
 */
import type { InvocationRecord, LogLine } from '../domain/index.js';
import type { Store } from '../store/index.js';
import { withReportLines } from './report.js';

/** Stores a batch; each record in `reports` also gets its REPORT log line (see report.ts). */
export interface TelemetrySink {
  write(records: InvocationRecord[], lines: LogLine[], reports: InvocationRecord[]): Promise<void>;
  close(): Promise<void>;
}

export class StoreSink implements TelemetrySink {
  constructor(private readonly store: Store) {}

  async write(records: InvocationRecord[], lines: LogLine[], reports: InvocationRecord[]): Promise<void> {
    if (records.length > 0) await this.store.insertInvocations(records);
    const all = withReportLines(reports, lines);
    if (all.length > 0) await this.store.appendLogs(all);
  }

  async close(): Promise<void> {}
}

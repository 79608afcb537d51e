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

/** Log text (UTF-16 units) per commit. */
const COMMIT_BYTES = 1024 * 1024;

export class StoreSink implements TelemetrySink {
  constructor(private readonly store: Store) {}

  async write(records: InvocationRecord[], lines: LogLine[], reports: InvocationRecord[]): Promise<void> {
    if (records.length > 0) await this.store.insertInvocations(records);
    const all = withReportLines(reports, lines);
    // One commit per ~1 MB of log text: a writer holds the database's one write lock while it
    // commits, and every other connection (bindings, bucket PUTs, the queue) waits for it.
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < all.length; i++) {
      bytes += all[i]!.line.length;
      if (bytes >= COMMIT_BYTES || i === all.length - 1) {
        await this.store.appendLogs(all.slice(start, i + 1));
        start = i + 1;
        bytes = 0;
      }
    }
  }

  async close(): Promise<void> {}
}

/** Worker thread: owns a second SQLite connection (WAL allows it) and commits telemetry batches. */
import { parentPort, workerData } from 'node:worker_threads';
import type { InvocationRecord, LogLine } from '../domain/index.js';
import { SqliteStore } from '../store/sqlite.js';

interface Batch {
  id: number;
  records: InvocationRecord[];
  lines: LogLine[];
}

const store = SqliteStore.open({ file: (workerData as { file: string }).file });
parentPort?.on('message', (batch: Batch | 'close') => {
  if (batch === 'close') {
    void store.close().then(() => parentPort?.close());
    return;
  }
  void (async () => {
    try {
      if (batch.records.length > 0) await store.insertInvocations(batch.records);
      if (batch.lines.length > 0) await store.appendLogs(batch.lines);
      parentPort?.postMessage({ id: batch.id });
    } catch (err) {
      parentPort?.postMessage({ id: batch.id, error: (err as Error).message });
    }
  })();
});

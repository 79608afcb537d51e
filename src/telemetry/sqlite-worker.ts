/** Worker thread: owns a second SQLite connection (WAL allows it) and commits telemetry batches. */
import { parentPort, workerData } from 'node:worker_threads';
import type { InvocationRecord, LogLine } from '../domain/index.js';
import { SqliteStore } from '../store/sqlite.js';
import { StoreSink } from './sink.js';

interface Batch {
  id: number;
  records: InvocationRecord[];
  lines: LogLine[];
  reportIds: string[];
}

const store = SqliteStore.open({ file: (workerData as { file: string }).file });
const sink = new StoreSink(store);
parentPort?.on('message', (batch: Batch | 'close') => {
  if (batch === 'close') {
    void store.close().then(() => parentPort?.close());
    return;
  }
  void (async () => {
    try {
      const wanted = new Set(batch.reportIds);
      await sink.write(batch.records, batch.lines, batch.records.filter((r) => wanted.has(r.id)));
      parentPort?.postMessage({ id: batch.id });
    } catch (err) {
      parentPort?.postMessage({ id: batch.id, error: (err as Error).message });
    }
  })();
});

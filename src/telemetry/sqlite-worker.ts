/** Worker thread: owns a second SQLite connection (WAL allows it) and commits telemetry batches. */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
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

lowerThreadPriority(5);
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
      await sink.write(
        batch.records,
        batch.lines,
        batch.records.filter((r) => wanted.has(r.id)),
      );
      parentPort?.postMessage({ id: batch.id });
    } catch (err) {
      parentPort?.postMessage({ id: batch.id, error: (err as Error).message });
    }
  })();
});

/**
 * Telemetry can wait a few milliseconds; requests cannot. On Linux, setpriority() on a thread id
 * renices just this thread, so the gateway, the sandboxes and their clients win the CPU and the
 * writer catches up in the gaps (at nice 5 it still gets about a quarter of a contended core).
 */
function lowerThreadPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not Linux, or not allowed: the writer just competes as an equal.
  }
}

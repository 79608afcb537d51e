import { Worker } from 'node:worker_threads';
import type { InvocationRecord, LogLine } from '../domain/index.js';
import type { TelemetrySink } from './sink.js';

/** Commits telemetry in a worker thread that has its own connection to the same SQLite file. */
export class SqliteWorkerSink implements TelemetrySink {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve(): void; reject(err: Error): void }>();
  private nextId = 1;

  constructor(file: string) {
    this.worker = new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData: { file } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; error?: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error === undefined) w?.resolve();
      else w?.reject(new Error(m.error));
    });
    this.worker.on('error', (err) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }

  write(records: InvocationRecord[], lines: LogLine[], reports: InvocationRecord[]): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve: () => resolve(), reject });
      this.worker.ref();
      // Reports are a subset of records: send their ids, not the objects a second time.
      this.worker.postMessage({ id, records, lines, reportIds: reports.map((r) => r.id) });
    }).finally(() => {
      if (this.waiting.size === 0) this.worker.unref();
    });
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }
}

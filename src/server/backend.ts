/**
 * Storage backends: the one place that knows which adapters make up a node's state. The
 * composition root asks `openBackend` for a backend and never names an adapter itself.
 *
 *   sqlite (default)  one file, `<data-dir>/nimbus.db`, shared by every adapter on connections of
 *                     their own; bucket bytes in `<data-dir>/buckets`. Needs nothing installed.
 *   postgres          every adapter on one pool to a PostgreSQL database that N nodes share
 *                     (`nimbus up --db postgres://… --node-id a`); see docs/cluster.md.
 *
 * Each adapter owns its schema (its own numbered migrations, applied when it opens: on SQLite in
 * `nimbus_migrations`, or queue_migrations / secrets_migrations for the two that had their own
 * first), so they open in any order and none trusts another to have run first. SQLite-only
 * settings (synchronous) live in the sqlite choice, not in the node's public options.
 */
import { join } from 'node:path';
import { SqliteKvStore } from '../kv/index.js';
import { SqliteEventQueue } from '../queue/index.js';
import { SqliteSecretStore } from '../secrets/index.js';
import { FsObjectStore, openDatabase } from '../storage/index.js';
import { SqliteFunctionMetrics, SqliteStore } from '../store/index.js';
import { SqliteWorkerSink } from '../telemetry/index.js';
import { SqliteScheduleState } from '../triggers/index.js';
import type { Backend, BackendChoice, BackendContext } from './backend-types.js';

export type { Backend, BackendChoice, BackendContext, ObjectStoreDeps } from './backend-types.js';

/** Open the adapters of `choice`. On failure nothing stays open. */
export async function openBackend(choice: BackendChoice, ctx: BackendContext): Promise<Backend> {
  if (choice.kind === 'postgres') {
    const { openPostgresBackend } = await import('./backend-postgres.js');
    return openPostgresBackend(choice, ctx);
  }
  return openSqliteBackend(choice, ctx);
}

function openSqliteBackend(choice: Extract<BackendChoice, { kind: 'sqlite' }>, ctx: BackendContext): Backend {
  const dbFile = join(ctx.dataDir, 'nimbus.db');
  const closers: Array<() => unknown> = [];
  try {
    const secretStore = SqliteSecretStore.open({ file: dbFile });
    closers.push(() => secretStore.close());
    const store = SqliteStore.open({ file: dbFile });
    closers.push(() => store.close());
    const metricsDb = openDatabase(dbFile);
    closers.push(() => metricsDb.close());
    const functionMetrics = new SqliteFunctionMetrics(metricsDb);
    const queue = SqliteEventQueue.open({ file: dbFile, synchronous: choice.synchronous });
    closers.push(() => queue.close());
    const triggersDb = openDatabase(dbFile);
    closers.push(() => triggersDb.close());
    const scheduleState = new SqliteScheduleState(triggersDb);
    const kv = SqliteKvStore.open({ file: dbFile, ...(ctx.kvQuotaBytes === undefined ? {} : { quotaBytes: ctx.kvQuotaBytes }) });
    closers.push(() => kv.close());
    return {
      kind: 'sqlite',
      store,
      secretStore,
      // A worker thread: started only when the node's telemetry writer is made (after the master key check).
      openTelemetrySink: () => new SqliteWorkerSink(dbFile),
      functionMetrics,
      queue,
      scheduleState,
      kv,
      openObjects: async (deps) => FsObjectStore.open({ ...deps, dir: join(ctx.dataDir, 'buckets'), db: triggersDb }),
      close: async () => {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) void close();
    throw err;
  }
}

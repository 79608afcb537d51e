/**
 * Storage backends: the one place that knows which adapters make up a node's state. The
 * composition root asks `openBackend` for a backend and never names an adapter itself.
 *
 *   sqlite (default)  one file, `<data-dir>/nimbus.db`, shared by every adapter on connections of
 *                     their own; bucket bytes in `<data-dir>/buckets`. Needs nothing installed.
 *   postgres          every adapter on one pool to a PostgreSQL database that N nodes share
 *                     (`nimbus up --db postgres://… --node-id a`); see docs/cluster.md.
 *
 * Each adapter owns its schema (its own numbered migrations) and opens in dependency order: the
 * store first (apps, versions), then the rest. SQLite-only settings (synchronous) live in the
 * sqlite choice, not in the node's public options.
 */
import { join } from 'node:path';
import { SqliteKvStore, type KvStore } from '../kv/index.js';
import { SqliteEventQueue, type EventQueue } from '../queue/index.js';
import { SqliteSecretStore, type SecretStore } from '../secrets/index.js';
import { FsObjectStore, openDatabase, type FsObjectStoreOptions } from '../storage/index.js';
import { SqliteFunctionMetrics, SqliteStore, type Store } from '../store/index.js';
import { SqliteWorkerSink, type TelemetrySink } from '../telemetry/index.js';
import { SqliteScheduleState, type ScheduleState } from '../triggers/index.js';

/** Which database a node keeps its state in. */
export type BackendChoice =
  | {
      kind: 'sqlite';
      /** NORMAL (default): accepted events survive the process dying. FULL: also power loss (an fsync per group commit). */
      synchronous?: 'NORMAL' | 'FULL';
    }
  | {
      kind: 'postgres';
      /** postgres://user@host:port/database */
      url: string;
      /** This node's id in the cluster: [a-z0-9-], unique among the nodes sharing the database. */
      nodeId: string;
      /** Connections this node keeps at most (default 10). */
      poolSize?: number;
    };

/** What the object store needs from the rest of the node (the bucket owners, the queue its events go to). */
export type ObjectStoreDeps = Omit<FsObjectStoreOptions, 'dir' | 'db'>;

export interface Backend {
  readonly kind: BackendChoice['kind'];
  /** The control-plane store (apps, versions, keys, audit, aliases, canaries) and the telemetry tables. */
  readonly store: Store;
  readonly secretStore: SecretStore;
  /** Where batches of invocation records and log lines are written. */
  readonly telemetrySink: TelemetrySink;
  readonly functionMetrics: SqliteFunctionMetrics;
  readonly queue: EventQueue;
  readonly scheduleState: ScheduleState;
  readonly kv: KvStore;
  /** The object store (opened last: it moves its outbox into the queue). */
  openObjects(deps: ObjectStoreDeps): FsObjectStore;
  /** Close every adapter this backend opened (after the services using them are closed). */
  close(): Promise<void>;
}

export interface BackendContext {
  dataDir: string;
  kvQuotaBytes?: number;
  log: (line: string) => void;
}

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
    const sink = new SqliteWorkerSink(dbFile);
    return {
      kind: 'sqlite',
      store,
      secretStore,
      telemetrySink: sink,
      functionMetrics,
      queue,
      scheduleState,
      kv,
      openObjects: (deps) => FsObjectStore.open({ ...deps, dir: join(ctx.dataDir, 'buckets'), db: triggersDb }),
      close: async () => {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) void close();
    throw err;
  }
}

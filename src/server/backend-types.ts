/** The storage backend's shape (backend.ts opens one; backend-postgres.ts the clustered one). */
import type { KvStore } from '../kv/index.js';
import type { PgPool } from '../pg/index.js';
import type { EventQueue } from '../queue/index.js';
import type { SecretStore } from '../secrets/index.js';
import type { FsObjectStore, FsObjectStoreOptions } from '../storage/index.js';
import type { SqliteFunctionMetrics, Store } from '../store/index.js';
import type { TelemetrySink } from '../telemetry/index.js';
import type { ScheduleState } from '../triggers/index.js';

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
  /**
   * PostgreSQL: the pool every adapter shares and this node's id, for the cluster layer (node
   * registry, change feed, shared keys). Absent on SQLite (a single node).
   */
  readonly cluster?: { pool: PgPool; nodeId: string };
  /** Close every adapter this backend opened (after the services using them are closed). */
  close(): Promise<void>;
}

export interface BackendContext {
  dataDir: string;
  kvQuotaBytes?: number;
  log: (line: string) => void;
}

/** The storage backend's shape (backend.ts opens one; backend-postgres.ts the clustered one). */
import type { KvStore } from '../kv/index.js';
import type { PgPool } from '../pg/index.js';
import type { ConcurrencyGate } from '../runtime/index.js';
import type { EventQueue } from '../queue/index.js';
import type { SecretStore } from '../secrets/index.js';
import type { BucketStore, BucketStoreDeps } from '../storage/index.js';
import type { Store } from '../store/index.js';
import type { FunctionMetricStore, TelemetrySink } from '../telemetry/index.js';
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
export type ObjectStoreDeps = BucketStoreDeps;

export interface Backend {
  readonly kind: BackendChoice['kind'];
  /** The control-plane store (apps, versions, keys, audit, aliases, canaries) and the telemetry tables. */
  readonly store: Store;
  readonly secretStore: SecretStore;
  /** Where batches of invocation records and log lines are written; closed by the node's TelemetryWriter, not by `close`. */
  openTelemetrySink(): TelemetrySink;
  readonly functionMetrics: FunctionMetricStore;
  readonly queue: EventQueue;
  readonly scheduleState: ScheduleState;
  readonly kv: KvStore;
  /** Where functions' `concurrency` is counted across nodes (postgres: leased slots); absent on one node. Closed by `close`. */
  readonly concurrencyGate?: ConcurrencyGate;
  /** In a cluster (postgres): the shared pool and this node's id, for the cluster layer (membership, change notices, shared keys). */
  readonly cluster?: { readonly pool: PgPool; readonly nodeId: string };
  /** The object store (opened last: it moves its outbox into the queue). */
  openObjects(deps: ObjectStoreDeps): Promise<BucketStore>;
  /** Close every adapter this backend opened (after the services using them are closed). */
  close(): Promise<void>;
}

export interface BackendContext {
  dataDir: string;
  kvQuotaBytes?: number;
  log: (line: string) => void;
}

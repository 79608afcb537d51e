/** What `GET /v1/cluster` answers: this node's view of the cluster (or of itself, on one node). */
import type { PgPool } from '../pg/index.js';
import { listMembers, type NodeStats, type NodeView } from './membership.js';

export interface ClusterStatus {
  mode: 'single' | 'cluster';
  /** The id of the node that answered. */
  self: string;
  nodes: Array<Omit<NodeView, 'version' | 'startedAt'> & { version?: string; startedAt?: number }>;
  queue: { depth: number };
}

/** This node, as the status of a single node describes it. */
export interface LocalNode {
  id: string;
  gatewayUrl: string;
  adminUrl: string;
  stats(): NodeStats;
  draining(): boolean;
}

export interface StatusSource {
  local: LocalNode;
  /** Events waiting or being delivered (the queue is shared in a cluster: one depth for all). */
  depth(): Promise<number>;
  /** The cluster's database; absent: a single node (SQLite). */
  pool?: PgPool;
}

/** The answer of `GET /v1/cluster`. */
export async function clusterStatus(s: StatusSource): Promise<ClusterStatus> {
  const depth = await s.depth();
  if (!s.pool) {
    const { id, gatewayUrl, adminUrl } = s.local;
    return { mode: 'single', self: id, nodes: [{ id, heartbeatAgeMs: 0, alive: true, draining: s.local.draining(), ...s.local.stats(), gatewayUrl, adminUrl }], queue: { depth } };
  }
  return { mode: 'cluster', self: s.local.id, nodes: await listMembers(s.pool), queue: { depth } };
}

/** Instances and requests in flight from the runtime's gauges (Runtime.metrics()). */
export function runtimeStats(m: { instances: Array<{ count: number }>; load: Array<{ concurrent: number; queued: number }> }): NodeStats {
  return {
    instances: m.instances.reduce((n, i) => n + i.count, 0),
    inFlight: m.load.reduce((n, l) => n + l.concurrent + l.queued, 0),
  };
}

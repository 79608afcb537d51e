/**
 * This node's part in a cluster (issue 11), for the composition root: its row in the node registry,
 * the change feed that carries deploys and secret changes between nodes, and the status
 * `GET /v1/cluster` answers. On SQLite the same interface describes a single node and does nothing
 * else, so the root wires one shape in both modes.
 */
import { readFileSync } from 'node:fs';
import { ChangeFeed, ClusterMembership, clusterStatus, type Change, type ClusterStatus, type NodeStats } from '../cluster/index.js';
import type { Backend } from './backend-types.js';

export interface ClusterNode {
  readonly id: string;
  /** Tell the other nodes about a change committed here (fire and forget; a failure is logged, the others' polling cannot see it). */
  publish(change: Change): void;
  /** The listeners are up: the registry shows where this node serves. */
  announce(urls: { gatewayUrl: string; adminUrl: string }): Promise<void>;
  status(): Promise<ClusterStatus>;
  /** close() began: the registry says draining. */
  drain(): Promise<void>;
  /** Stop the feed and leave the registry (before the pool closes). */
  close(): Promise<void>;
}

export interface ClusterNodeOptions {
  backend: Pick<Backend, 'cluster'>;
  /** Apply a change another node made (Deployments.refresh, Secrets.invalidate). */
  apply: (change: Change) => Promise<void>;
  stats: () => NodeStats;
  depth: () => Promise<number>;
  log: (line: string) => void;
  /** The NOTIFY channel (default nimbus_changes; tests sharing a database use their own). */
  channel?: string;
}

/**
 * Join the cluster (NODE_ID_IN_USE when a live node has this id: call it before anything acts in
 * the node's name, e.g. recovering its events) and start the change feed.
 */
export async function startClusterNode(o: ClusterNodeOptions): Promise<ClusterNode> {
  let gatewayUrl = '';
  let adminUrl = '';
  let draining = false;
  const cluster = o.backend.cluster;
  const local = { gatewayUrl: () => gatewayUrl, adminUrl: () => adminUrl };
  if (!cluster) {
    return {
      id: 'local',
      publish: () => {},
      announce: async (urls) => void ({ gatewayUrl, adminUrl } = urls),
      status: () => clusterStatus({ local: { id: 'local', gatewayUrl: local.gatewayUrl(), adminUrl: local.adminUrl(), stats: o.stats, draining: () => draining }, depth: o.depth }),
      drain: async () => void (draining = true),
      close: async () => {},
    };
  }
  const { pool, nodeId } = cluster;
  const membership = await ClusterMembership.join({ pool, nodeId, gatewayUrl, adminUrl, version: packageVersion(), stats: o.stats, log: o.log });
  let feed: ChangeFeed;
  try {
    feed = await ChangeFeed.start({ pool, nodeId, apply: o.apply, log: o.log, ...(o.channel ? { channel: o.channel } : {}) });
  } catch (err) {
    await membership.leave().catch(() => {});
    throw err;
  }
  return {
    id: nodeId,
    publish: (change) => void feed.publish(change).catch((err: unknown) => o.log(`cluster: a ${change.kind} change could not be announced to the other nodes: ${(err as Error).message}`)),
    announce: (urls) => membership.announce(urls),
    status: () => clusterStatus({ local: { id: nodeId, gatewayUrl, adminUrl, stats: o.stats, draining: () => draining }, depth: o.depth, pool }),
    drain: async () => {
      draining = true;
      await membership.drain();
    },
    close: async () => {
      await feed.close();
      await membership.leave().catch((err: unknown) => o.log(`cluster: leaving the node registry failed (the id frees itself in 10 s): ${(err as Error).message}`));
    },
  };
}

/** The Nimbus version the registry shows (dist/src/server → package.json). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

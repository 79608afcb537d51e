/**
 * The cluster layer (issue 11): what makes N nodes on one PostgreSQL database one cluster. The
 * node registry (membership.ts), the keys every node shares (shared-keys.ts), the propagation of
 * deploys and secret changes (changes.ts), the status `GET /v1/cluster` answers (status.ts) and
 * the load balancer's configuration (haproxy.ts). The composition root wires them; nothing here
 * knows Deployments or Secrets.
 */
export { ClusterMembership, listMembers, LIVE_MS, HEARTBEAT_MS, type JoinOptions, type NodeStats, type NodeView } from './membership.js';
export { agreeSharedKeys, type SharedKeys, type SharedKeyOptions } from './shared-keys.js';
export { ChangeFeed, CHANGES_CHANNEL, type Change, type ChangeFeedOptions } from './changes.js';
export { clusterStatus, runtimeStats, type ClusterStatus, type LocalNode, type StatusSource } from './status.js';
export { haproxyConfig, parseNodeArg, type HaproxyNode, type HaproxyOptions } from './haproxy.js';
export { migrateCluster, CLUSTER_MIGRATIONS } from './migrations.js';

/** The answer of `GET /v1/cluster` (the control API's schema is the source). */
export type { ClusterStatusView as ClusterStatus } from '../control/schemas-cluster.js';

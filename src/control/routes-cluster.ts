/** `GET /v1/cluster`: the nodes of the cluster and the shared queue's depth (issue 11; `nimbus cluster status`). */
import { clusterStatusSchema } from './schemas-cluster.js';
import { route } from './table.js';

export const clusterRoutes = [
  route({
    method: 'GET',
    path: '/v1/cluster',
    summary: 'the nodes of the cluster (heartbeat age, instances, in-flight, draining) and the queue depth',
    scope: 'read',
    app: 'none',
    response: clusterStatusSchema,
    errors: [],
    handle: async ({ deps }) => {
      if (deps.cluster) return deps.cluster.status();
      // A ControlApi built without the cluster view (tests): this node alone.
      const m = deps.runtime.metrics();
      const instances = m.instances.reduce((n, i) => n + i.count, 0);
      const inFlight = m.load.reduce((n, l) => n + l.concurrent + l.queued, 0);
      const depth = deps.events ? await deps.events.depth() : 0;
      return { mode: 'single' as const, self: 'local', nodes: [{ id: 'local', heartbeatAgeMs: 0, alive: true, draining: false, instances, inFlight, gatewayUrl: '', adminUrl: '' }], queue: { depth } };
    },
  }),
];

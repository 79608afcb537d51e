/** `GET /metrics`: the node's Prometheus metrics (issue 10), for a scraper holding a `read` key. */
import { NimbusError } from '../shared/errors.js';
import { raw, route } from './table.js';

export const metricsRoutes = [
  route({
    method: 'GET',
    path: '/metrics',
    summary: "this node's Prometheus metrics (text exposition format)",
    description: 'The same text is served without a key on `nimbus up --metrics-port`, for a scraper in a trusted network.',
    scope: 'read',
    app: 'none',
    response: raw('text/plain; version=0.0.4', 'Prometheus text format 0.0.4'),
    errors: ['NOT_FOUND'],
    handle: async ({ deps, res }) => {
      if (!deps.metrics) throw new NimbusError('NOT_FOUND', 'metrics are not enabled on this node');
      const text = await deps.metrics.scrape();
      res.writeHead(200, { 'content-type': deps.metrics.contentType, 'cache-control': 'no-store' });
      res.end(text);
    },
  }),
];

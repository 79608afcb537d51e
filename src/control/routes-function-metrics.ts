/** `GET …/functions/{fn}/metrics`: the metrics a function declares in EMF lines (issue 12), from store migration 0010. */
import { z } from 'zod';
import { NimbusError } from '../shared/errors.js';
import * as s from './schemas.js';
import { parseWhen } from './stats.js';
import { route } from './table.js';

const summary = z.object({
  namespace: z.string(),
  name: z.string(),
  unit: z.string().describe('CloudWatch unit as the line named it (Count, Milliseconds…), None when it named none'),
  count: z.number().int().describe('values received in the window'),
  sum: z.number(),
  min: z.number(),
  max: z.number(),
  last: z.number().describe('the newest value'),
  lastAt: z.number().int().describe('epoch ms of the newest value'),
});
const point = z.object({
  ts: z.number().int().describe('epoch ms (the line’s _aws.Timestamp when within an hour of the node’s clock)'),
  namespace: z.string(),
  name: z.string(),
  unit: z.string(),
  value: z.number(),
  dimensions: z.record(z.string(), z.string()).describe('the values of the line’s dimension keys'),
  version: z.number().int(),
  invocationId: z.string().nullable(),
});

export const functionMetricRoutes = [
  route({
    method: 'GET',
    path: '/v1/apps/{app}/functions/{fn}/metrics',
    summary: 'metrics the function printed in CloudWatch Embedded Metric Format: a summary per metric, and the latest values of one (`name`)',
    description:
      'Values are kept 7 days, as invocation records. The same metrics are on `GET /metrics` as `nimbus_function_metric{app,function,namespace,name,unit}` (at most 50 series per function).',
    scope: 'read',
    app: 'param',
    query: z.object({
      name: z.string().max(255).optional().describe('only this metric; the answer then lists its latest values too'),
      since: z
        .string()
        .optional()
        .refine((v) => v === undefined || v === '' || parseWhen(v, 0) !== undefined, 'expected epoch ms, an ISO 8601 time or a duration back from now (1h, 24h, 7d)')
        .describe('start: epoch ms, ISO 8601 or a duration back from now (default 1h)'),
      limit: s.limitParam('values listed with `name`, newest first (default 100, max 1000)'),
    }),
    response: z.object({
      since: z.number().int().describe('epoch ms'),
      metrics: z.array(summary),
      points: z.array(point).optional().describe('with `name`: its latest values, newest first'),
    }),
    errors: ['FUNCTION_NOT_FOUND', 'NOT_FOUND'],
    handle: async ({ deps, params, query }) => {
      if (!deps.functionMetrics) throw new NimbusError('NOT_FOUND', 'function metrics are not kept on this node');
      const fn = await deps.deployments.mustGet(params['app']!, params['fn']!);
      const now = Date.now();
      const since = query.since === undefined || query.since === '' ? now - 3600_000 : parseWhen(query.since, now)!;
      const name = query.name === '' ? undefined : query.name;
      const base = { app: fn.app, function: fn.name, since };
      const metrics = await deps.functionMetrics.summary(name === undefined ? base : { ...base, name });
      if (name === undefined) return { since, metrics };
      const limit = Math.min(1000, Math.max(1, Math.floor(query.limit ?? 100)));
      const points = (await deps.functionMetrics.points({ ...base, name, limit })).map((p) => ({
        ts: p.ts,
        namespace: p.namespace,
        name: p.name,
        unit: p.unit,
        value: p.value,
        dimensions: p.dimensions,
        version: p.version,
        invocationId: p.invocationId,
      }));
      return { since, metrics, points };
    },
  }),
];

/**
 * THE route table of the control API: every endpoint, once. The server (api.ts) registers and
 * checks them, openapi.ts describes them, the contract test compares both with the docs and
 * the client. To add an endpoint, declare it with `route({...})` in a routes-*.ts module and
 * list that module here.
 */
import { z } from 'zod';
import { aliasRoutes } from './routes-aliases.js';
import { clusterRoutes } from './routes-cluster.js';
import { coreRoutes } from './routes-core.js';
import { eventRoutes } from './routes-events.js';
import { functionMetricRoutes } from './routes-function-metrics.js';
import { keyRoutes } from './routes-keys.js';
import { lambdaRoutes } from './routes-lambda.js';
import { metricsRoutes } from './routes-metrics.js';
import { scheduleRoutes } from './routes-schedules.js';
import { secretRoutes } from './routes-secrets.js';
import { statsRoutes } from './routes-stats.js';
import { storageRoutes } from './routes-storage.js';
import { route, type Route } from './table.js';

/** `GET /v1/openapi.json`: the document is built from this table, so it is served by the server itself (api.ts). */
export const openApiRoute = route({
  method: 'GET',
  path: '/v1/openapi.json',
  summary: 'this document',
  scope: ['read', 'invoke'],
  app: 'none',
  response: z.record(z.string(), z.unknown()).describe('OpenAPI 3.1 document'),
  errors: [],
  handle: async () => {
    throw new Error('served by ControlApi');
  },
});

export const ROUTES: readonly Route[] = [
  openApiRoute,
  ...coreRoutes,
  ...eventRoutes,
  ...scheduleRoutes,
  ...storageRoutes,
  ...secretRoutes,
  ...keyRoutes,
  ...statsRoutes,
  ...metricsRoutes,
  ...aliasRoutes,
  ...functionMetricRoutes,
  ...lambdaRoutes,
  ...clusterRoutes,
];

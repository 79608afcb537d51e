/** `http: "GET /hello/{name}"`: a route of the gateway. Owns no named resource (routes conflict by path: deploy/conflicts.ts). */
import type { HttpTrigger } from '../../../domain/index.js';
import type { TriggerKindSpec } from '../port.js';

export const httpKind: TriggerKindSpec<HttpTrigger> = {
  key: 'http',
  options: ['auth', 'cors', 'rateLimit', 'payload', 'alias'],
  route: (t) => ({ method: t.method, path: t.path, declared: `${t.method} ${t.path}` }),
};

/** Aliases and canary deploys in the route table (issue 12 §4). */
import { z } from 'zod';
import * as a from './schemas-aliases.js';
import { route } from './table.js';

export const aliasRoutes = [
  route({
    method: 'GET',
    path: '/v1/apps/{app}/functions/{fn}/aliases',
    summary: "list a function's aliases by name",
    scope: 'read',
    app: 'param',
    response: z.object({ aliases: z.array(a.aliasSchema) }),
    errors: ['FUNCTION_NOT_FOUND'],
    handle: async ({ deps, params }) => ({ aliases: await deps.deployments.aliases.list(params['app']!, params['fn']!) }),
  }),
  route({
    method: 'PUT',
    path: '/v1/apps/{app}/functions/{fn}/aliases/{name}',
    summary: 'create or move an alias: a version, optionally with a second version taking a share of its traffic',
    description: 'Routes with `alias: <name>` serve it from the next request on; the versions need not be active.',
    scope: 'deploy',
    app: 'param',
    body: a.setAliasSchema,
    response: a.aliasSchema,
    errors: ['FUNCTION_NOT_FOUND', 'VERSION_NOT_FOUND'],
    audit: 'alias.set',
    handle: async ({ deps, params, body, audit }) => {
      const { app, fn, name } = { app: params['app']!, fn: params['fn']!, name: params['name']! };
      const w = body.weighted ?? null;
      audit.target = `${fn}:${name} → v${body.version}${w ? ` + ${w.weight}% v${w.version}` : ''}`;
      return deps.deployments.aliases.set(app, fn, name, { version: body.version, weighted: w });
    },
  }),
  route({
    method: 'DELETE',
    path: '/v1/apps/{app}/functions/{fn}/aliases/{name}',
    summary: 'delete an alias (routes naming it answer 404 ALIAS_NOT_FOUND)',
    scope: 'deploy',
    app: 'param',
    response: z.object({ deleted: z.literal(true) }),
    errors: ['FUNCTION_NOT_FOUND', 'ALIAS_NOT_FOUND'],
    audit: 'alias.delete',
    handle: async ({ deps, params, audit }) => {
      audit.target = `${params['fn']!}:${params['name']!}`;
      await deps.deployments.aliases.remove(params['app']!, params['fn']!, params['name']!);
      return { deleted: true as const };
    },
  }),
  route({
    method: 'GET',
    path: '/v1/apps/{app}/canary',
    summary: "the app's running canary deploy with its counts, else its last one and how it ended",
    scope: 'read',
    app: 'param',
    response: a.canaryStatusSchema,
    errors: ['CANARY_NOT_FOUND'],
    handle: async ({ deps, params }) => deps.deployments.canaries.status(params['app']!),
  }),
  route({
    method: 'POST',
    path: '/v1/apps/{app}/canary/abort',
    summary: 'roll the running canary deploy back now: the old versions keep serving',
    scope: 'deploy',
    app: 'param',
    response: a.canarySchema,
    errors: ['CANARY_NOT_FOUND'],
    audit: 'canary.abort',
    handle: async ({ deps, params }) => deps.deployments.canaries.abort(params['app']!),
  }),
];

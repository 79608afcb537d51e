/** The route table's declarations and what is derived from them (paths, grants, the OpenAPI document). */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { SCOPES } from '../domain/index.js';
import { buildOpenApi } from './openapi.js';
import { ROUTES } from './routes.js';
import { allows, openApiPath, pathParams, route, routerPath } from './table.js';

const probe = route({
  method: 'POST',
  path: '/v1/apps/{app}/things/{thing+}',
  summary: 'a test route',
  scope: ['read', 'invoke'],
  app: 'param',
  query: z.object({ n: z.coerce.number().int().optional().describe('a number') }),
  body: z.object({ name: z.string() }),
  response: z.object({ ok: z.literal(true) }).meta({ id: 'ProbeAnswer' }),
  status: 201,
  errors: ['FUNCTION_NOT_FOUND', 'APP_NOT_FOUND'],
  audit: 'thing.make',
  handle: async () => ({ ok: true as const }),
});

describe('route table', () => {
  it('turns the one path syntax into the router and OpenAPI forms', () => {
    assert.equal(routerPath('/v1/buckets/{bucket}/objects/{key+}'), '/v1/buckets/:bucket/objects/*');
    assert.equal(openApiPath('/v1/buckets/{bucket}/objects/{key+}'), '/v1/buckets/{bucket}/objects/{key}');
    assert.deepEqual(pathParams('/v1/buckets/{bucket}/objects/{key+}'), ['bucket', 'key']);
  });

  it('grants: admin everything, deploy also read, invoke and read only themselves', () => {
    const grid = SCOPES.map((key) => SCOPES.filter((needed) => allows(key, { scope: needed })).join(','));
    assert.deepEqual(grid, ['admin,deploy,invoke,read', 'deploy,read', 'invoke', 'read']);
    assert.ok(allows('invoke', { scope: ['read', 'invoke'] }));
  });

  it('derives an operation from a declaration: parameters, body, answer, errors by status, scope, audit', () => {
    const doc = buildOpenApi([probe]);
    const op = doc.paths['/v1/apps/{app}/things/{thing}']?.['post'] as Record<string, any>;
    assert.deepEqual(
      op['parameters'].map((p: { name: string; in: string }) => `${p.in}:${p.name}`),
      ['path:app', 'path:thing', 'query:n'],
    );
    assert.equal(op['requestBody'].required, true, 'a body whose schema refuses {} is required');
    assert.deepEqual(op['requestBody'].content['application/json'].schema.required, ['name']);
    assert.deepEqual(op['responses']['201'].content['application/json'].schema, { $ref: '#/components/schemas/ProbeAnswer' });
    assert.ok(doc.components.schemas['ProbeAnswer']);
    assert.equal(op['responses']['404'].description, 'FUNCTION_NOT_FOUND, APP_NOT_FOUND');
    for (const status of ['400', '401', '403', 'default']) assert.ok(op['responses'][status], `no ${status} answer`);
    assert.deepEqual(op['x-nimbus-scope'], ['read', 'invoke']);
    assert.equal(op['x-nimbus-audit'], 'thing.make');
  });

  it('every route is declared once, finds its app where its path says, and every mutation is audited', () => {
    const seen = new Set<string>();
    // Invokes run functions rather than change state: their invocation records are their trail.
    const notAudited = new Set(['POST /v1/apps/{app}/functions/{fn}/invoke', 'POST /2015-03-31/functions/{FunctionName}/invocations']);
    for (const r of ROUTES) {
      const id = `${r.method} ${r.path}`;
      assert.ok(!seen.has(id), `${id} is declared twice`);
      seen.add(id);
      const params = pathParams(r.path);
      if (r.app === 'param') assert.ok(params.includes('app'), `${id} finds its app in a {app} it lacks`);
      if (r.app === 'bucket') assert.ok(params.includes('bucket'), id);
      if (r.app === 'topic') assert.ok(params.includes('topic'), id);
      if (r.app === 'invocation') assert.ok(params.includes('id'), id);
      if (params.includes('app')) assert.equal(r.app, 'param', `${id} names an app but does not check it`);
      if (r.method !== 'GET' && r.method !== 'HEAD' && !notAudited.has(id)) assert.ok(r.audit, `${id} changes state but records no audit entry`);
      if (r.method === 'GET' || r.method === 'HEAD') assert.equal(r.audit, undefined, `${id} is a read`);
    }
  });
});

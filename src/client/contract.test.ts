/**
 * docs/control-api.md, the OpenAPI document, the routes the server serves and the client must
 * name the same endpoints: a route added to one and forgotten in another fails here.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ControlApi } from '../control/api.js';
import { openApiDocument } from '../control/openapi.js';
import type { ControlDeps } from '../control/table.js';
import { ERROR_STATUS } from '../shared/errors.js';
import { NimbusClient } from './client.js';

function documentedEndpoints(): Set<string> {
  const doc = readFileSync(new URL('../../../docs/control-api.md', import.meta.url), 'utf8');
  const found = [...doc.matchAll(/^\| `(GET|PUT|POST|DELETE|HEAD) (\/[^`?]*)/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.ok(found.length >= 10, 'the endpoint table of docs/control-api.md was not found');
  return new Set(found);
}

function openApiEndpoints(): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries(openApiDocument.paths)) {
    for (const method of Object.keys(item)) {
      if (method !== 'parameters') out.add(`${method.toUpperCase()} ${path}`);
    }
  }
  return out;
}

/** Calls every client method with placeholder names and records the endpoint each one hit. */
async function clientEndpoints(): Promise<Set<string>> {
  const hits = new Set<string>();
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const path = url.pathname
      .replace('/APP', '/{app}')
      .replace('/FN', '/{fn}')
      .replace('/ID', '/{id}')
      .replace('/TOPIC', '/{topic}')
      .replace('/BUCKET', '/{bucket}')
      .replace('/KEY', '/{key}')
      .replace('/NAME', '/{name}');
    hits.add(`${init?.method ?? 'GET'} ${path}`);
    return new Response('{}', { status: 200, headers: { 'x-nimbus-invocation-id': 'x' } });
  };
  const c = new NimbusClient({ url: 'http://fake', key: 'k', fetch: fakeFetch });
  await Promise.all([
    c.health(),
    c.cluster(),
    c.openApi(),
    c.deployApp('APP', { app: 'APP', functions: {} }, {}),
    c.listApps(),
    c.stats({ app: 'APP', since: '1h', step: 300 }),
    c.usage({ since: '24h' }),
    c.deleteApp('APP'),
    c.listFunctions(),
    c.listFunctions('APP'),
    c.getFunction('APP', 'FN'),
    c.deleteFunction('APP', 'FN'),
    c.listVersions('APP', 'FN'),
    c.rollback('APP', 'FN'),
    c.invoke('APP', 'FN', {}),
    c.invokeAsync('APP', 'FN', {}, { idempotencyKey: 'k' }),
    c.listDead('APP', 'FN'),
    c.listAliases('APP', 'FN'),
    c.setAlias('APP', 'FN', 'NAME', 1),
    c.deleteAlias('APP', 'FN', 'NAME'),
    c.canaryStatus('APP'),
    c.abortCanary('APP'),
    c.redrive('APP', 'FN'),
    c.queueDepth('APP', 'FN'),
    c.runSchedule('APP', 'FN'),
    c.listInvocations('APP', 'FN'),
    c.getInvocation('ID'),
    c.logs('APP', 'FN'),
    c.functionMetrics('APP', 'FN', { name: 'n', since: '1h' }),
    c.publish('TOPIC', {}),
    c.publishBatch('TOPIC', [{}]),
    c.listTopics(),
    c.listBuckets(),
    c.listObjects('BUCKET'),
    c.putObject('BUCKET', 'KEY', 'x'),
    c.getObject('BUCKET', 'KEY'),
    c.headObject('BUCKET', 'KEY'),
    c.deleteObject('BUCKET', 'KEY'),
    c.listSecrets('APP'),
    c.setSecret('APP', 'NAME', 'value'),
    c.deleteSecret('APP', 'NAME'),
    c.rotateMasterKey(),
    c.listKeys(),
    c.createKey({ name: 'ci', scope: 'read' }),
    c.revokeKey('ID'),
    c.audit(),
    c.metrics(),
  ]);
  return hits;
}

describe('control API contract', () => {
  it('the OpenAPI document describes exactly the documented endpoints', () => {
    assert.deepEqual([...openApiEndpoints()].sort(), [...documentedEndpoints()].sort());
  });

  it('the server serves exactly the operations of the OpenAPI document', () => {
    // The router of a real ControlApi (its handlers are never called here, so no dependencies).
    const served = new ControlApi({} as ControlDeps).served();
    assert.equal(new Set(served).size, served.length, 'a route is declared twice');
    assert.deepEqual([...served].sort(), [...openApiEndpoints()].filter((e) => e !== 'GET /healthz').sort());
  });

  it('the client has a method for every documented endpoint', async () => {
    // The Lambda API's client is the AWS SDK (test/aws-sdk.test.ts), not NimbusClient.
    const ours = [...documentedEndpoints()].filter((e) => !e.includes(' /2015-03-31/'));
    assert.deepEqual([...(await clientEndpoints())].sort(), ours.sort());
  });

  it('the OpenAPI error schema lists every error code', () => {
    const error = openApiDocument.components.schemas['Error'] as {
      properties: { error: { properties: { code: { enum: string[] } } } };
    };
    assert.deepEqual(error.properties.error.properties.code.enum, Object.keys(ERROR_STATUS));
  });

  it('every /v1 operation needs the bearer key and /healthz does not', () => {
    assert.deepEqual(openApiDocument.security, [{ apiKey: [] }]);
    assert.deepEqual(openApiDocument.paths['/healthz']?.['get']?.['security'], []);
    for (const [path, item] of Object.entries(openApiDocument.paths)) {
      if (!path.startsWith('/v1')) continue;
      for (const [method, op] of Object.entries(item)) {
        if (method === 'parameters') continue;
        assert.ok(!('security' in (op as object)), `${method} ${path} must not override security`);
        assert.ok('401' in (op as { responses: object }).responses, `${method} ${path} lacks a 401 answer`);
        assert.ok('403' in (op as { responses: object }).responses, `${method} ${path} lacks a 403 answer`);
        assert.ok(Array.isArray((op as Record<string, unknown>)['x-nimbus-scope']), `${method} ${path} names no scope`);
      }
    }
  });
});

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { AppSpec } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import { NimbusClient } from './client.js';
import { type FakeApi, type FakeRequest, errorAnswer, startFakeApi, unreachableUrl } from './fake-api.js';
import type { FunctionView } from './types.js';
import { withConfigDefaults } from '../domain/index.js';

const KEY = 'test-key-123';

const view: FunctionView = {
  app: 'shop',
  name: 'checkout',
  activeVersion: 2,
  latestVersion: 2,
  createdAt: 1,
  updatedAt: 2,
  codeSize: 10,
  config: withConfigDefaults({ handler: { file: 'src/checkout.ts', export: null }, triggers: [{ type: 'http', method: 'POST', path: '/checkout' }] }),
  routes: ['POST /checkout'],
  instances: { total: 1, busy: 0, idle: 1 },
};

function answer(req: FakeRequest) {
  const route = `${req.method} ${req.path}`;
  switch (route) {
    case 'GET /healthz':
      return { body: { ok: true } };
    case 'GET /v1/apps':
      return { body: { apps: [{ app: 'shop', functions: 1, createdAt: 1, updatedAt: 2 }] } };
    case 'GET /v1/apps/shop/functions/checkout':
      return { body: view };
    case 'GET /v1/apps/shop/functions/missing':
      return errorAnswer(404, 'FUNCTION_NOT_FOUND', 'no function shop/missing', { details: { app: 'shop' } });
    case 'PUT /v1/apps/bad':
      return errorAnswer(400, 'MANIFEST_INVALID', 'the spec is invalid', {
        details: { issues: [{ path: 'functions.x.memory', message: 'too big' }] },
      });
    case 'PUT /v1/apps/shop':
      return { body: { app: 'shop', functions: [{ name: 'checkout', version: 3, created: true }], removed: ['old'] } };
    case 'POST /v1/apps/shop/functions/checkout/invoke':
      return { headers: { 'x-nimbus-invocation-id': 'inv-1', 'x-custom': 'yes' }, body: { total: 42 } };
    case 'POST /v1/apps/shop/functions/broken/invoke':
      return {
        status: 502,
        headers: { 'x-nimbus-invocation-id': 'inv-2' },
        body: { error: { code: 'FUNCTION_ERROR', message: 'boom', invocationId: 'inv-2' } },
      };
    case 'POST /v1/apps/shop/functions/checkout/rollback':
      return { body: { ...view, activeVersion: 1 } };
    case 'GET /v1/apps/shop/functions/checkout/logs':
      return { body: { lines: [], next: 7 } };
    case 'GET /v1/apps/shop/functions/checkout/invocations':
      return { body: { invocations: [] } };
    case 'GET /v1/apps/shop/functions/html':
      return { status: 500, raw: '<html>proxy error</html>' };
    default:
      return undefined;
  }
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<NimbusError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof NimbusError, `expected a NimbusError, got ${String(err)}`);
    assert.equal(err.code, code);
    return err;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

describe('NimbusClient', () => {
  let api: FakeApi;
  let client: NimbusClient;
  before(async () => {
    api = await startFakeApi(KEY, answer);
    client = new NimbusClient({ url: `${api.url}/`, key: KEY });
  });
  after(() => api.close());

  it('sends the bearer key and unwraps list answers', async () => {
    const apps = await client.listApps();
    assert.deepEqual(apps, [{ app: 'shop', functions: 1, createdAt: 1, updatedAt: 2 }]);
    assert.equal(api.requests.at(-1)?.headers.authorization, `Bearer ${KEY}`);
  });

  it('turns a refused key into UNAUTHORIZED', async () => {
    const wrong = new NimbusClient({ url: api.url, key: 'nope' });
    const err = await rejectsWith(wrong.listApps(), 'UNAUTHORIZED');
    assert.equal(err.status, 401);
    const none = new NimbusClient({ url: api.url });
    await rejectsWith(none.listApps(), 'UNAUTHORIZED');
    assert.equal(api.requests.at(-1)?.headers.authorization, undefined);
  });

  it('checks health without a key', async () => {
    assert.deepEqual(await new NimbusClient({ url: api.url }).health(), { ok: true });
  });

  it("rebuilds the server's error with its code, message and details", async () => {
    const err = await rejectsWith(client.getFunction('shop', 'missing'), 'FUNCTION_NOT_FOUND');
    assert.equal(err.message, 'no function shop/missing');
    assert.deepEqual(err.details, { app: 'shop' });
    assert.deepEqual(await client.getFunction('shop', 'checkout'), view);
  });

  it('reports an answer that is not the error shape as INTERNAL with the status', async () => {
    const err = await rejectsWith(client.getFunction('shop', 'html'), 'INTERNAL');
    assert.match(err.message, /HTTP 500.*proxy error/);
  });

  it('deploys with PUT, sending only each bundle’s code', async () => {
    const spec: AppSpec = { app: 'shop', functions: { checkout: view.config } };
    const bundles = { checkout: { code: 'export default 1', codeHash: 'abc', size: 16 } };
    const result = await client.deployApp('shop', spec, bundles);
    assert.deepEqual(result.removed, ['old']);
    const req = api.requests.at(-1);
    assert.equal(req?.method, 'PUT');
    assert.equal(req?.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(req?.body ?? ''), { spec, bundles: { checkout: { code: 'export default 1' } } });
  });

  it('keeps manifest issues of a refused deploy', async () => {
    const err = await rejectsWith(client.deployApp('bad', { app: 'bad', functions: {} }, {}), 'MANIFEST_INVALID');
    assert.deepEqual(err.details?.['issues'], [{ path: 'functions.x.memory', message: 'too big' }]);
  });

  it('returns a successful invocation with its id, headers and body', async () => {
    const r = await client.invoke('shop', 'checkout', { items: [1, 2] });
    assert.equal(r.invocationId, 'inv-1');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-custom'], 'yes');
    assert.deepEqual(r.json(), { total: 42 });
    assert.equal(r.error, null);
    assert.deepEqual(JSON.parse(api.requests.at(-1)?.body ?? ''), { items: [1, 2] });
  });

  it('returns a function failure instead of throwing it', async () => {
    const r = await client.invoke('shop', 'broken', {});
    assert.equal(r.status, 502);
    assert.equal(r.invocationId, 'inv-2');
    assert.equal(r.error?.code, 'FUNCTION_ERROR');
    assert.equal(r.error?.message, 'boom');
  });

  it('throws when an invoke is refused before any invocation (unknown function)', async () => {
    await rejectsWith(client.invoke('shop', 'nothing', {}), 'NOT_FOUND');
  });

  it('sends rollback targets and omits an absent one', async () => {
    assert.equal((await client.rollback('shop', 'checkout', 1)).activeVersion, 1);
    assert.deepEqual(JSON.parse(api.requests.at(-1)?.body ?? ''), { to: 1 });
    await client.rollback('shop', 'checkout');
    assert.deepEqual(JSON.parse(api.requests.at(-1)?.body ?? ''), {});
  });

  it('passes paging parameters and leaves out the ones not given', async () => {
    assert.deepEqual(await client.logs('shop', 'checkout', { invocation: 'inv-1', after: 5 }), { lines: [], next: 7 });
    const q = api.requests.at(-1)?.query;
    assert.equal(q?.get('invocation'), 'inv-1');
    assert.equal(q?.get('after'), '5');
    assert.equal(q?.has('limit'), false);
    await client.listInvocations('shop', 'checkout', { limit: 10, before: 99 });
    assert.equal(api.requests.at(-1)?.query.toString(), 'limit=10&before=99');
  });

  it('encodes names into path segments', async () => {
    await rejectsWith(client.getFunction('a b', 'x/y'), 'NOT_FOUND');
    assert.equal(api.requests.at(-1)?.path, '/v1/apps/a%20b/functions/x%2Fy');
  });

  it('says where it tried and what to do when nothing listens', async () => {
    const url = await unreachableUrl();
    const err = await rejectsWith(new NimbusClient({ url, key: KEY }).listApps(), 'SERVER_UNREACHABLE');
    assert.ok(err.message.startsWith(`cannot reach Nimbus at ${url}: `), err.message);
    assert.match(err.message, /ECONNREFUSED/);
    assert.match(err.message, /Is `nimbus up` running\? Set NIMBUS_URL/);
  });
});

/**
 * Apps do not step on each other's routes (issue 9, part 4) on a real node: hosts and base paths
 * give apps their own namespaces; in the default one any overlap between two apps is refused at
 * deploy (the red team's cases), webhooks included; a catch-all never takes /healthz; stage
 * copies run beside production; a thrown error's text stays out of the public 502.
 */
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { deployDir } from '../src/client/index.js';
import { NimbusError } from '../src/shared/errors.js';
import { eventually, startTestNimbus, type TestNimbus } from './support/harness.js';

/** Answers with its app, the path and the route it saw. */
const WHO = (app: string) => `export default { async fetch(req: Request) { const u = new URL(req.url); return Response.json({ app: '${app}', path: u.pathname }); } };\n`;

function app(name: string, head: string, routes: string[], extra = ''): Record<string, string> {
  const triggers = routes.map((r) => (r.startsWith('webhook ') ? `      - webhook: ${r.slice(8)}\n        secret: HOOK_SECRET` : `      - http: ${r}`)).join('\n');
  return {
    'nimbus.yaml': `app: ${name}\n${head}functions:\n  f:\n    handler: src/f.ts\n    env: { HOOK_SECRET: s3cret }\n${extra}    triggers:\n${triggers}\n`,
    'src/f.ts': WHO(name),
  };
}

interface Answer {
  status: number;
  body: string;
}

/** A request with the Host header we choose (fetch() does not let us set it). */
function send(base: string, path: string, host?: string, method = 'GET'): Promise<Answer> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers: host === undefined ? {} : { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function refused(p: Promise<unknown>): Promise<NimbusError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof NimbusError, String(err));
    assert.equal(err.code, 'ROUTE_CONFLICT', err.message);
    return err;
  }
  assert.fail('expected ROUTE_CONFLICT');
}

describe('namespaces', () => {
  let n: TestNimbus;
  const get = (path: string, host?: string, method?: string) => send(n.gatewayUrl, path, host, method);
  const json = async (path: string, host?: string): Promise<{ app: string; path: string }> => {
    const r = await get(path, host);
    assert.equal(r.status, 200, `${host ?? ''}${path}: ${r.body}`);
    return JSON.parse(r.body) as { app: string; path: string };
  };

  before(async () => {
    n = await startTestNimbus();
  });
  after(() => n.close());

  it('serves two apps with the same paths on different hosts, case-insensitive, port ignored, wildcards one or more labels deep', async () => {
    await n.deploy(app('host-a', 'routes:\n  host: a.example.com\n', ['GET /orders/{id}']));
    await n.deploy(app('host-b', 'routes:\n  host: "*.b.example.com"\n', ['GET /orders/{id}']));
    assert.deepEqual(await json('/orders/1', 'a.example.com'), { app: 'host-a', path: '/orders/1' });
    assert.deepEqual(await json('/orders/1', 'A.Example.COM:8080'), { app: 'host-a', path: '/orders/1' });
    assert.equal((await json('/orders/2', 'x.b.example.com')).app, 'host-b');
    assert.equal((await json('/orders/2', 'x.y.b.example.com')).app, 'host-b');
    // Neither the wildcard's own name nor an unclaimed host reaches them.
    assert.equal((await get('/orders/3', 'b.example.com')).status, 404);
    assert.equal((await get('/orders/3')).status, 404);
    // A second app cannot take a claimed host.
    const e = await refused(n.deploy(app('host-c', 'routes:\n  host: a.example.com\n', ['GET /other'])));
    assert.match(e.message, /host a\.example\.com is claimed by app "host-a"/);
  });

  it('serves two apps with the same paths on different base paths; the function sees the path without it', async () => {
    await n.deploy(app('base-one', 'routes:\n  basePath: /one\n', ['GET /orders', 'GET /']));
    await n.deploy(app('base-two', 'routes:\n  basePath: /two\n', ['GET /orders']));
    assert.deepEqual(await json('/one/orders'), { app: 'base-one', path: '/orders' });
    assert.deepEqual(await json('/two/orders'), { app: 'base-two', path: '/orders' });
    assert.deepEqual(await json('/one'), { app: 'base-one', path: '/' });
    assert.equal((await get('/orders')).status, 404);
  });

  it('matches webhooks in their namespace too: the same path on two base paths and a host', async () => {
    await n.deploy(app('hooks-one', 'routes:\n  basePath: /h1\n', ['webhook /hooks/ci']));
    await n.deploy(app('hooks-two', 'routes:\n  basePath: /h2\n', ['webhook /hooks/ci']));
    await n.deploy(app('hooks-host', 'routes:\n  host: hooks.example.com\n', ['webhook /hooks/ci']));
    // Unsigned: the webhook matched and refused it (401), where no webhook is it is a 404.
    for (const [path, host] of [['/h1/hooks/ci'], ['/h2/hooks/ci'], ['/hooks/ci', 'hooks.example.com']] as [string, string?][]) {
      const r = await get(path, host, 'POST');
      assert.equal(r.status, 401, `${host ?? ''}${path}: ${r.body}`);
      assert.match(r.body, /WEBHOOK_SIGNATURE_INVALID/);
    }
    assert.equal((await get('/hooks/ci', undefined, 'POST')).status, 404);
  });

  it("refuses the red team's overlapping routes and webhooks at deploy, naming both apps and routes, and changes nothing", async () => {
    await n.deploy(app('victim', '', ['ANY /api/{proxy+}', 'GET /users/{id}', 'POST /login']));
    await n.deploy(app('red', '', ['GET /red/ok']));
    const before = await n.client.listFunctions('red');
    const cases: [string, RegExp][] = [
      ['ANY /api/login', /ANY \/api\/login of red\/f overlaps ANY \/api\/\{proxy\+\} of victim\/f/],
      ['GET /users/me', /GET \/users\/me of red\/f overlaps GET \/users\/\{id\} of victim\/f/],
      ['webhook /login', /webhook \/login of red\/f overlaps POST \/login of victim\/f/],
    ];
    for (const [route, message] of cases) {
      const e = await refused(n.deploy(app('red', '', ['GET /red/ok', route])));
      assert.match(e.message, message);
      assert.equal(e.details?.['conflictsWith'], 'victim/f');
    }
    // A catch-all overlaps every app of the default namespace, base-path apps included.
    assert.match((await refused(n.deploy(app('red', '', ['GET /red/ok', 'ANY /{proxy+}'])))).message, /ANY \/\{proxy\+\} of red\/f overlaps .* of [a-z-]+\/f/);
    // Nothing stored changed: red is still at its first version, and the victim still answers.
    assert.deepEqual(await n.client.listFunctions('red'), before);
    assert.equal((await n.client.listVersions('red', 'f')).length, 1);
    assert.equal((await json('/api/login')).app, 'victim');
    assert.equal((await json('/users/me')).app, 'victim');
    assert.equal((await json('/red/ok')).app, 'red');
    // A new app refused the same way is not created at all.
    await refused(n.deploy(app('red-two', '', ['GET /users/me'])));
    assert.equal(
      (await n.client.listApps()).some((a) => a.app === 'red-two'),
      false,
    );
  });

  it('never lets a catch-all shadow another app or /healthz', async () => {
    // In the default namespace a catch-all overlaps everyone: refused.
    await refused(n.deploy(app('grabby', '', ['ANY /{proxy+}'])));
    await refused(n.deploy(app('grabby', '', ['GET /healthz'])));
    // On its own host it takes only that host, and /healthz is still the gateway's.
    await n.deploy(app('grabby', 'routes:\n  host: grab.example.com\n', ['ANY /{proxy+}']));
    assert.equal((await json('/anything/at/all', 'grab.example.com')).app, 'grabby');
    assert.equal((await json('/api/x')).app, 'victim');
    for (const host of ['grab.example.com', undefined]) {
      const health = await get('/healthz', host);
      assert.equal(health.status, 200);
      assert.deepEqual(JSON.parse(health.body), { ok: true });
    }
  });

  it('runs a staging and a production copy of one app side by side: routes, prefixed resources, separate versions', async () => {
    const files = {
      'nimbus.yaml': [
        'app: store',
        'shared:',
        '  topics: [audit]',
        'functions:',
        '  f:',
        '    handler: src/f.ts',
        '    env: { STAGE: "${stage}" }',
        '    bindings:',
        '      CARTS: { kv: carts }',
        '      AUDIT: { topic: audit }',
        '    triggers:',
        '      - http: GET /items',
        '      - topic: orders',
        '',
      ].join('\n'),
      'src/f.ts': `export default { async fetch(req: Request, env: Record<string, unknown>) { return Response.json({ stage: env['STAGE'], path: new URL(req.url).pathname }); } };\n`,
    };
    const dir = await n.writeApp(files);
    const prod = await deployDir(n.client, dir);
    const staging = await deployDir(n.client, dir, { stage: 'staging' });
    assert.equal(prod.app, 'store');
    assert.equal(staging.app, 'store-staging');
    assert.deepEqual(JSON.parse((await get('/items')).body), { stage: 'prod', path: '/items' });
    assert.deepEqual(JSON.parse((await get('/staging/items')).body), { stage: 'staging', path: '/items' });
    const topics = (await n.client.listTopics()).map((t) => [t.topic, t.app]);
    assert.deepEqual(topics.filter(([name]) => ['orders', 'staging-orders', 'audit', 'staging-audit'].includes(name!)).sort(), [
      ['audit', 'store'],
      ['orders', 'store'],
      ['staging-orders', 'store-staging'],
    ]);
    const stagedBindings = staging.spec.functions['f']!.bindings;
    assert.deepEqual(stagedBindings['CARTS'], { type: 'kv', kv: 'staging-carts' });
    // A change deployed to staging makes a staging version only.
    await writeFile(`${dir}/src/f.ts`, files['src/f.ts'].replace('stage:', 'v: 2, stage:'));
    await deployDir(n.client, dir, { stage: 'staging' });
    assert.equal((await n.client.listVersions('store-staging', 'f')).length, 2);
    assert.equal((await n.client.listVersions('store', 'f')).length, 1);
    assert.equal(JSON.parse((await get('/staging/items')).body).v, 2);
    assert.equal(JSON.parse((await get('/items')).body).v, undefined);
  });

  it('keeps a thrown error out of the public 502 and puts it in the logs', async () => {
    const marker = 'secret-db-password-hunter2';
    await n.deploy({
      'nimbus.yaml': 'app: thrower\nroutes:\n  basePath: /thrower\nfunctions:\n  boom:\n    handler: src/boom.ts\n    triggers:\n      - http: GET /boom\n',
      'src/boom.ts': `export default { async fetch() { throw new Error('${marker}'); } };\n`,
    });
    const res = await n.fetch('/thrower/boom');
    const text = await res.text();
    assert.equal(res.status, 502);
    assert.doesNotMatch(text, new RegExp(marker));
    assert.doesNotMatch(text, /at .*boom/);
    const body = JSON.parse(text) as { error: { code: string; invocationId: string; message: string } };
    assert.equal(body.error.code, 'FUNCTION_ERROR');
    assert.equal(body.error.invocationId, res.headers.get('x-nimbus-invocation-id'));
    const logged = await eventually(
      async () => {
        const lines = (await n.client.logs('thrower', 'boom')).lines.map((l) => l.line).join('\n');
        return lines.includes(marker) ? lines : undefined;
      },
      10_000,
      'the error in the logs',
    );
    assert.match(logged, /Error: secret-db-password-hunter2\n?\s*at /);
    // The authenticated control-API invoke still says what went wrong (as Lambda's Invoke).
    const invoked = await n.client.invoke('thrower', 'boom', {});
    assert.match(JSON.stringify(invoked.error) + invoked.body, new RegExp(marker));
  });
});

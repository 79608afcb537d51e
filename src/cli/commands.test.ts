import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeApi, type FakeRequest, errorAnswer, startFakeApi } from '../client/fake-api.js';
import { runCli } from './run-cli.js';

const KEY = 'commands-test-key';

const fn = (app: string, name: string, routes: string[], active = 1, latest = 1, triggers: unknown[] = []) => ({
  app,
  name,
  activeVersion: active,
  latestVersion: latest,
  createdAt: 0,
  updatedAt: 0,
  codeSize: 10,
  config: { triggers },
  routes,
  instances: { total: 2, busy: 1, idle: 1 },
});

const logLine = (seq: number) => ({ seq, invocationId: 'inv-9', ts: Date.UTC(2026, 0, 1), stream: 'stdout', line: `line ${seq}` });

function answer(req: FakeRequest) {
  const route = `${req.method} ${req.path}`;
  if (req.method === 'PUT' && req.path.startsWith('/v1/apps/')) {
    const { spec } = JSON.parse(req.body) as { spec: { app: string; functions: Record<string, unknown> } };
    const functions = Object.keys(spec.functions).map((name) => ({ name, version: 1, created: name !== 'api' }));
    return { body: { app: spec.app, functions, removed: ['gone'] } };
  }
  switch (route) {
    case 'GET /v1/functions':
      return {
        body: {
          functions: [fn('shop', 'checkout', ['POST /checkout']), fn('a-much-longer-app', 'x', [], 1, 3, [{ type: 'topic', topic: 'orders', batchSize: 1, maxBatchWindow: 0 }])],
        },
      };
    case 'POST /v1/apps/shop/functions/echo/invoke':
      return { headers: { 'x-nimbus-invocation-id': 'inv-1' }, raw: req.body };
    case 'POST /v1/apps/shop/functions/broken/invoke':
      return {
        status: 502,
        headers: { 'x-nimbus-invocation-id': 'inv-2' },
        body: { error: { code: 'FUNCTION_ERROR', message: 'TypeError: boom', invocationId: 'inv-2' } },
      };
    case 'GET /v1/apps/shop/functions/chatty/logs': {
      // Three lines in pages of at most `limit`, to exercise the tail walk.
      const afterSeq = Number(req.query.get('after') ?? 0);
      const lines = [1, 2, 3].filter((s) => s > afterSeq).map(logLine);
      return { body: { lines, next: lines.at(-1)?.seq ?? afterSeq } };
    }
    case 'POST /v1/topics/orders':
      return { status: 202, body: { messageIds: ['m1'], deliveries: 2 } };
    case 'DELETE /v1/apps/shop':
      return { body: { deleted: true } };
    case 'DELETE /v1/apps/shop/functions/checkout':
      return { body: { deleted: true } };
    case 'POST /v1/apps/shop/functions/checkout/rollback':
      return { body: fn('shop', 'checkout', [], 1, 2) };
    default:
      return errorAnswer(404, 'NOT_FOUND', `no ${route}`);
  }
}

describe('nimbus commands against a control API', () => {
  let api: FakeApi;
  let tmp: string;
  const run = (args: string[], cwd = tmp) => runCli(args, { cwd, env: { NIMBUS_URL: api.url, NIMBUS_KEY: KEY } });

  before(async () => {
    api = await startFakeApi(KEY, answer);
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-cmd-'));
  });
  after(async () => {
    await api.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('ls prints aligned columns', async () => {
    const r = await run(['ls']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    const col = lines[0]?.indexOf('FUNCTION');
    assert.ok(col !== undefined && col > 0);
    assert.equal(lines[1]?.indexOf('checkout'), col);
    assert.match(lines[2] ?? '', /v1 \(latest v3\)/);
    assert.match(lines[0] ?? '', /TRIGGERS/);
    assert.match(lines[1] ?? '', /POST \/checkout/);
    assert.match(lines[2] ?? '', /topic:orders/, 'event triggers are listed, not just HTTP routes');
  });

  it('invoke sends --data as the event and prints the body', async () => {
    const r = await run(['invoke', 'shop/echo', '--data', '{"a":[1,2]}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '{"a":[1,2]}\n');
    const file = join(tmp, 'event.json');
    await writeFile(file, '{"from":"file"}');
    const f = await run(['invoke', 'shop/echo', '--data', '@event.json', '--json']);
    assert.deepEqual(JSON.parse(f.stdout), {
      invocationId: 'inv-1',
      status: 200,
      headers: JSON.parse(f.stdout).headers,
      body: '{"from":"file"}',
    });
  });

  it('publish sends --attribute pairs as the X-Nimbus-Attributes header, and refuses a pair without "="', async () => {
    const r = await run(['publish', 'orders', '{"id":7}', '--attribute', 'kind=order', '--attribute', 'note=a=b']);
    assert.equal(r.code, 0, r.stderr);
    const req = api.requests.at(-1)!;
    assert.equal(req.body, '{"id":7}');
    assert.deepEqual(JSON.parse(String(req.headers['x-nimbus-attributes'])), { kind: 'order', note: 'a=b' });
    const before = api.requests.length;
    const bad = await run(['publish', 'orders', '{}', '--attribute', 'nope']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--attribute takes name=value/);
    assert.equal(api.requests.length, before);
  });

  it('invoke exits 1 on a function error, with its code and invocation id on stderr', async () => {
    const r = await run(['invoke', 'shop/broken']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /error \[FUNCTION_ERROR\]: TypeError: boom/);
    assert.match(r.stderr, /inv-2/);
  });

  it('invoke refuses --data that is not JSON before calling the server', async () => {
    const before = api.requests.length;
    const r = await run(['invoke', 'shop/echo', '--data', '{nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error \[BAD_REQUEST\]: --data is not valid JSON/);
    assert.equal(api.requests.length, before);
  });

  it('logs prints the newest --limit lines, oldest first', async () => {
    const r = await run(['logs', 'shop/chatty', '--limit', '2', '--invocation', 'inv-9']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split('  ').at(-1)),
      ['line 2', 'line 3'],
    );
    assert.match(r.stdout, /^2026-01-01T00:00:00\.000Z {2}inv-9 {2}line 2$/m);
    assert.equal(api.requests.at(-1)?.query.get('invocation'), 'inv-9');
  });

  it('rm deletes a function or, with --app, an app, but not both at once', async () => {
    assert.equal((await run(['rm', 'shop/checkout'])).stdout, 'deleted function shop/checkout\n');
    assert.equal((await run(['rm', '--app', 'shop'])).stdout, 'deleted app shop\n');
    const both = await run(['rm', 'shop/checkout', '--app', 'shop']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /^error \[BAD_REQUEST\]/);
  });

  it('rollback sends --to and says what now serves', async () => {
    const r = await run(['rollback', 'shop/checkout', '--to', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(api.requests.at(-1)?.body ?? ''), { to: 1 });
    assert.equal(r.stdout, 'shop/checkout now serves v1 (latest v2)\n');
  });

  it('deploy bundles an init-ed app and prints versions, removals and routes', async () => {
    const parent = join(tmp, 'deploy');
    await mkdir(parent);
    assert.equal((await runCli(['init', 'web'], { cwd: parent })).code, 0);
    const r = await run(['deploy', 'web'], parent);
    assert.equal(r.code, 0, r.stderr);
    const put = api.requests.at(-1);
    assert.equal(`${put?.method} ${put?.path}`, 'PUT /v1/apps/web');
    const body = JSON.parse(put?.body ?? '') as { bundles: Record<string, { code: string }> };
    assert.deepEqual(Object.keys(body.bundles).sort(), ['api', 'hello']);
    assert.ok((body.bundles['hello']?.code.length ?? 0) > 0);
    assert.match(r.stdout, /hello +v1 +new/);
    assert.match(r.stdout, /api +v1 +unchanged/);
    assert.match(r.stdout, /removed: gone/);
    // The starter claims the base path /web: routes print where they answer.
    assert.match(r.stdout, /namespace: base path \/web/);
    assert.match(r.stdout, /GET \/web\/hello\/\{name\} +→ hello/);
  });

  it('deploy --stage sends the stage copy: <app>-<stage>, under /<stage>', async () => {
    const parent = join(tmp, 'staged');
    await mkdir(parent);
    assert.equal((await runCli(['init', 'web'], { cwd: parent })).code, 0);
    const r = await run(['deploy', 'web', '--stage', 'dev'], parent);
    assert.equal(r.code, 0, r.stderr);
    const put = api.requests.at(-1);
    assert.equal(`${put?.method} ${put?.path}`, 'PUT /v1/apps/web-dev');
    const spec = (JSON.parse(put?.body ?? '') as { spec: { app: string; stage: string; routes: unknown } }).spec;
    assert.deepEqual([spec.app, spec.stage, spec.routes], ['web-dev', 'dev', { basePath: '/dev/web' }]);
    const bad = await run(['deploy', 'web', '--stage', 'Dev'], parent);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /MANIFEST_INVALID[\s\S]*is not a stage name/);
  });

  it('deploy reports manifest problems by line and sends nothing', async () => {
    const appDir = join(tmp, 'broken');
    await mkdir(appDir);
    await writeFile(join(appDir, 'nimbus.yaml'), 'app: broken\nfunctions:\n  f:\n    handler: src/f.ts\n    memory: 99999\n');
    const before = api.requests.length;
    const r = await run(['deploy'], appDir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error \[MANIFEST_INVALID\]/);
    assert.match(r.stderr, /nimbus\.yaml:5:\d+ functions\.f\.memory/);
    assert.equal(api.requests.length, before);
    const json = await run(['deploy', '--json'], appDir);
    const err = JSON.parse(json.stdout) as { error: { code: string; details: { issues: unknown[] } } };
    assert.equal(err.error.code, 'MANIFEST_INVALID');
    assert.ok(err.error.details.issues.length >= 1);
  });
});

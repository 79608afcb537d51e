/**
 * Deploys as a user lives them: versions only when something changed, rollbacks, removed
 * functions, route ownership between apps, manifest errors through the real CLI (which leave the
 * running version alone), no failed request across a redeploy and a rollback, and the control
 * API's key check.
 */
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { deployDir } from '../src/client/index.js';
import { runCli } from '../src/cli/run-cli.js';
import { NimbusError } from '../src/shared/errors.js';
import { manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const web = (text: string): string => `export default { fetch: (req, env) => new Response(${JSON.stringify(text)} + (env.COLOR ? ':' + env.COLOR : '')) };`;

async function body(n: TestNimbus, path: string): Promise<string> {
  const res = await n.fetch(path);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return text;
}

function isCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof NimbusError && err.code === code;
}

describe('deploy: versions, rollback and routes', () => {
  let n: TestNimbus;
  let dir: string;
  const files = (code: string, color?: string, extra = true): Record<string, string> => ({
    'nimbus.yaml': manifest('shop', {
      fn: { handler: 'src/fn.ts', ...(color ? { env: { COLOR: color } } : {}), triggers: [{ http: 'GET /v' }] },
      ...(extra ? { extra: { handler: 'src/extra.ts', triggers: [{ http: 'GET /extra' }] } } : {}),
    }),
    'src/fn.ts': web(code),
    'src/extra.ts': web('extra'),
  });
  const redeploy = async (f: Record<string, string>) => {
    for (const [path, content] of Object.entries(f)) await writeFile(join(dir, path), content);
    return deployDir(n.client, dir);
  };
  before(async () => {
    n = await startTestNimbus();
  });
  after(() => n.close());

  it('creates v1 on the first deploy', async () => {
    const result = await n.deploy(files('v1'));
    dir = result.dir;
    assert.deepEqual(result.functions.map((f) => [f.name, f.version, f.created]).sort(), [
      ['extra', 1, true],
      ['fn', 1, true],
    ]);
    assert.equal(await body(n, '/v'), 'v1');
  });

  it('creates no version when the same directory is deployed again', async () => {
    const result = await deployDir(n.client, dir);
    assert.deepEqual(result.functions.map((f) => [f.name, f.version, f.created]).sort(), [
      ['extra', 1, false],
      ['fn', 1, false],
    ]);
    assert.equal((await n.client.listVersions('shop', 'fn')).length, 1);
  });

  it('creates v2 when the code changes, and v2 serves', async () => {
    const result = await redeploy(files('v2'));
    assert.deepEqual(
      result.functions.find((f) => f.name === 'fn'),
      { name: 'fn', version: 2, created: true },
    );
    assert.equal(result.functions.find((f) => f.name === 'extra')?.created, false);
    const versions = await n.client.listVersions('shop', 'fn');
    assert.deepEqual(
      versions.map((v) => [v.version, v.active]),
      [
        [1, false],
        [2, true],
      ],
    );
    assert.equal(await body(n, '/v'), 'v2');
  });

  it('rolls back to the previous version, then forward with `to`', async () => {
    const back = await n.client.rollback('shop', 'fn');
    assert.equal(back.activeVersion, 1);
    assert.equal(await body(n, '/v'), 'v1');
    const forward = await n.client.rollback('shop', 'fn', 2);
    assert.equal(forward.activeVersion, 2);
    assert.equal(await body(n, '/v'), 'v2');
    await assert.rejects(n.client.rollback('shop', 'fn', 9), isCode('VERSION_NOT_FOUND'));
  });

  it('serves the deployed code again when the directory is redeployed after a rollback', async () => {
    assert.equal((await n.client.rollback('shop', 'fn')).activeVersion, 1);
    assert.equal(await body(n, '/v'), 'v1');
    const result = await deployDir(n.client, dir);
    const fn = result.functions.find((f) => f.name === 'fn');
    assert.equal(fn?.version, (await n.client.getFunction('shop', 'fn')).activeVersion);
    assert.notEqual(fn?.version, 1);
    assert.equal(await body(n, '/v'), 'v2');
  });

  it('creates a version when only the env changes', async () => {
    const latest = (await n.client.getFunction('shop', 'fn')).latestVersion;
    const result = await redeploy(files('v2', 'blue'));
    assert.deepEqual(
      result.functions.find((f) => f.name === 'fn'),
      { name: 'fn', version: latest + 1, created: true },
    );
    assert.equal(await body(n, '/v'), 'v2:blue');
    assert.deepEqual((await n.client.getFunction('shop', 'fn')).config.env, { COLOR: 'blue' });
  });

  it('removes a function dropped from the manifest, and its route', async () => {
    assert.equal(await body(n, '/extra'), 'extra');
    const result = await redeploy(files('v2', 'blue', false));
    assert.deepEqual(result.removed, ['extra']);
    const res = await n.fetch('/extra');
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'ROUTE_NOT_FOUND');
    await assert.rejects(n.client.getFunction('shop', 'extra'), isCode('FUNCTION_NOT_FOUND'));
    assert.equal(await body(n, '/v'), 'v2:blue');
  });

  it('refuses a route another app serves with 409 ROUTE_CONFLICT, and changes nothing', async () => {
    const other = (code: string, steal: boolean): Record<string, string> => ({
      'nimbus.yaml': manifest('other', {
        mine: { handler: 'src/mine.ts', triggers: [{ http: 'GET /mine' }] },
        ...(steal ? { thief: { handler: 'src/mine.ts', triggers: [{ http: 'ANY /v' }] } } : {}),
      }),
      'src/mine.ts': web(code),
    });
    await n.deploy(other('mine v1', false));
    await assert.rejects(n.deploy(other('mine v2', true)), (err: unknown) => {
      assert.ok(err instanceof NimbusError);
      assert.equal(err.code, 'ROUTE_CONFLICT');
      assert.equal(err.status, 409);
      assert.match(err.message, /shop\/fn/);
      return true;
    });
    assert.equal(await body(n, '/mine'), 'mine v1');
    assert.equal((await n.client.listVersions('other', 'mine')).length, 1);
    await assert.rejects(n.client.getFunction('other', 'thief'), isCode('FUNCTION_NOT_FOUND'));
    assert.equal(await body(n, '/v'), 'v2:blue');
  });
});

describe('deploy: manifest errors through the CLI', () => {
  let n: TestNimbus;
  let dir: string;
  let env: Record<string, string>;
  const GOOD = ['app: cli-app', 'functions:', '  api:', '    handler: src/api.ts', '    memory: 128', '    triggers:', '      - http: GET /api'];
  const deploy = () => runCli(['deploy', dir], { cwd: dir, env });

  before(async () => {
    n = await startTestNimbus();
    env = { NIMBUS_URL: n.adminUrl, NIMBUS_KEY: n.adminKey };
    dir = await n.writeApp({ 'nimbus.yaml': GOOD.join('\n'), 'src/api.ts': web('good') });
    const r = await deploy();
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => n.close());

  const cases: { name: string; lines: string[]; line: number; key: string }[] = [
    { name: 'an unknown key', lines: GOOD.map((l) => l.replace('memory:', 'memroy:')), line: 5, key: 'functions.api.memroy' },
    { name: 'a bad memory value', lines: GOOD.map((l) => l.replace('memory: 128', 'memory: 128MB')), line: 5, key: 'functions.api.memory' },
    { name: 'two functions on one route', lines: [...GOOD, '  other:', '    handler: src/api.ts', '    triggers:', '      - http: GET /api'], line: 11, key: 'functions.other.triggers[0].http' },
    { name: 'a missing handler file', lines: GOOD.map((l) => l.replace('src/api.ts', 'src/nope.ts')), line: 4, key: 'functions.api.handler' },
  ];
  for (const c of cases) {
    it(`reports ${c.name} with file, line and key, and keeps serving the previous version`, async () => {
      await writeFile(join(dir, 'nimbus.yaml'), c.lines.join('\n'));
      await writeFile(join(dir, 'src/api.ts'), web('changed'));
      const r = await deploy();
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /MANIFEST_INVALID/);
      const at = `${join(dir, 'nimbus.yaml')}:${c.line}:`;
      const issue = r.stderr.split('\n').find((l) => l.includes(at));
      assert.ok(issue !== undefined, `no line names ${at}:\n${r.stderr}`);
      assert.ok(issue.includes(` ${c.key}:`), `the line does not name ${c.key}: ${issue}`);
      assert.equal(await body(n, '/api'), 'good');
      assert.equal((await n.client.listVersions('cli-app', 'api')).length, 1);
    });
  }
});

describe('deploy: zero downtime', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus({ poolSize: 2 });
  });
  after(() => n.close());

  it('answers every request 200 across a redeploy and a rollback, switching bodies', async () => {
    // Each request takes a little while, so some are always in flight when versions switch.
    const code = (v: string) => `export default { fetch: () => new Promise((r) => setTimeout(() => r(new Response('${v}')), 30)) };`;
    const files = (v: string) => ({ 'nimbus.yaml': manifest('zd', { fn: { handler: 'src/fn.ts', triggers: [{ http: 'GET /zd' }] } }), 'src/fn.ts': code(v) });
    const { dir } = await n.deploy(files('v1'));
    // Start the eight v1 instances first: the phases below are about switching, not the first cold starts.
    for (let i = 0; i < 2; i++) await Promise.all(Array.from({ length: 8 }, () => body(n, '/zd')));
    const seen: { start: number; end: number; status: number; body: string }[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        const start = performance.now();
        try {
          const res = await n.fetch('/zd');
          seen.push({ start, end: performance.now(), status: res.status, body: await res.text() });
        } catch (err) {
          seen.push({ start, end: performance.now(), status: 0, body: String(err) });
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    let deployStart = 0;
    let deployed = 0;
    let rollbackStart = 0;
    let rolledBack = 0;
    try {
      await sleep(600);
      deployStart = performance.now();
      await writeFile(join(dir, 'src/fn.ts'), code('v2'));
      assert.equal((await deployDir(n.client, dir)).functions[0]?.version, 2);
      deployed = performance.now();
      // Long enough for eight v2 cold starts on a busy 2-core machine.
      await sleep(1200);
      rollbackStart = performance.now();
      assert.equal((await n.client.rollback('zd', 'fn')).activeVersion, 1);
      rolledBack = performance.now();
      await sleep(1200);
    } finally {
      stop = true;
      await Promise.all(clients);
    }

    const failures = seen.filter((s) => s.status !== 200);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${seen.length} requests failed`);
    const bodies = (from: number, to: number) => seen.filter((s) => s.start >= from && s.end <= to).map((s) => s.body);
    const beforeDeploy = bodies(0, deployStart);
    const during = bodies(deployed, rollbackStart);
    const afterwards = bodies(rolledBack, Infinity);
    assert.ok(beforeDeploy.length > 0 && during.length > 0 && afterwards.length > 0, `${beforeDeploy.length}/${during.length}/${afterwards.length} requests per phase`);
    assert.deepEqual([...new Set(beforeDeploy)], ['v1']);
    assert.deepEqual([...new Set(during)], ['v2'], 'requests sent after the deploy returned get v2');
    assert.deepEqual([...new Set(afterwards)], ['v1'], 'requests sent after the rollback returned get v1');
  });
});

describe('deploy: control API auth', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus();
  });
  after(() => n.close());

  const get = (path: string, key?: string) => fetch(`${n.adminUrl}${path}`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });

  it('answers 401 UNAUTHORIZED without a key or with a wrong one, 200 with the right one', async () => {
    for (const key of [undefined, 'wrong-key', `${n.adminKey}x`]) {
      const res = await get('/v1/apps', key);
      assert.equal(res.status, 401, `key ${String(key)}`);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    }
    const ok = await get('/v1/apps', n.adminKey);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { apps: [] });
  });

  it('serves the OpenAPI document to a caller with the key', async () => {
    assert.equal((await get('/v1/openapi.json')).status, 401);
    const res = await get('/v1/openapi.json', n.adminKey);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { openapi?: string; paths?: Record<string, unknown> };
    assert.match(doc.openapi ?? '', /^3\.1/);
    const paths = Object.keys(doc.paths ?? {});
    for (const p of ['/v1/apps/{app}', '/v1/apps/{app}/functions/{fn}/rollback', '/v1/apps/{app}/functions/{fn}/invoke', '/v1/invocations/{id}']) {
      assert.ok(paths.includes(p), `${p} is not in ${paths.join(', ')}`);
    }
  });
});

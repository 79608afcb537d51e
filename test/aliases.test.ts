/**
 * Aliases and canary deploys as a user lives them (issue 12 §4): `nimbus alias set|ls|rm`, a route
 * with `alias: live` serving a version that is not the active one, a 10 % weighted alias over 1,000
 * requests, a canary that is promoted when its window ends and one that rolls back when its new
 * version throws. X-Nimbus-Version tells which version answered.
 */
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deployDir, NimbusClient } from '../src/client/index.js';
import { startNimbus, type RunningNimbus } from '../src/server/index.js';
import { runCli } from '../src/cli/run-cli.js';
import { NimbusError } from '../src/shared/errors.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const web = (text: string): string => `export default { fetch: () => new Response(${JSON.stringify(text)}) };`;
const throwing = 'export default { fetch: () => { throw new Error("the new version is broken") } };';

const files = (code: string): Record<string, string> => ({
  'nimbus.yaml': manifest('shop', { api: { handler: 'src/api.ts', triggers: [{ http: 'GET /v' }, { http: 'GET /live', alias: 'live' }] } }),
  'src/api.ts': code,
});

async function get(n: TestNimbus, path: string): Promise<{ status: number; version: string | null; text: string; id: string | null }> {
  const res = await n.fetch(path);
  return { status: res.status, version: res.headers.get('x-nimbus-version'), text: await res.text(), id: res.headers.get('x-nimbus-invocation-id') };
}

describe('aliases and canary deploys', () => {
  let n: TestNimbus;
  let dir: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, { cwd: dir, env });
  const write = async (code: string) => {
    for (const [path, content] of Object.entries(files(code))) await writeFile(join(dir, path), content);
  };

  before(async () => {
    n = await startTestNimbus();
    env = { NIMBUS_URL: n.adminUrl, NIMBUS_KEY: n.adminKey };
    dir = (await n.deploy(files(web('one')))).dir;
    await write(web('two'));
    await deployDir(n.client, dir);
  });
  after(() => n.close());

  it('serves an alias on its route once it exists, the active version elsewhere, and says which version ran', async () => {
    const missing = await get(n, '/live');
    assert.equal(missing.status, 404);
    assert.match(missing.text, /ALIAS_NOT_FOUND/);
    assert.match(missing.text, /nimbus alias set/);

    const set = await cli('alias', 'set', 'api', 'live', '--version', '1');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /shop\/api:live → v1/);

    const live = await get(n, '/live');
    assert.deepEqual([live.status, live.text, live.version], [200, 'one', '1']);
    const active = await get(n, '/v');
    assert.deepEqual([active.status, active.text, active.version], [200, 'two', '2']);
    const record = await eventually(() => n.client.getInvocation(live.id!).catch(() => undefined), 10_000, 'the record');
    assert.equal(record.version, 1);

    const invoked = await n.client.invoke('shop', 'api', {});
    assert.equal(invoked.headers['x-nimbus-version'], '2');

    const ls = await cli('alias', 'ls', 'api', '--app', 'shop', '--json');
    assert.equal(ls.code, 0, ls.stderr);
    const listed = JSON.parse(ls.stdout) as { aliases: Array<{ name: string; version: number; weighted: unknown }> };
    assert.deepEqual(
      listed.aliases.map((a) => [a.name, a.version, a.weighted]),
      [['live', 1, null]],
    );
    const bad = await cli('alias', 'set', 'api', 'live', '--version', '9');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /VERSION_NOT_FOUND/);
  });

  it('sends a 10% weight of an alias to its second version: within 6-14% of 1,000 requests', async () => {
    const set = await cli('alias', 'set', 'shop/api', 'live', '--version', '1', '--weight', '2=10');
    assert.equal(set.code, 0, set.stderr);
    const seen = new Map<string, number>();
    for (let batch = 0; batch < 100; batch++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => get(n, '/live')));
      for (const a of answers) {
        assert.equal(a.status, 200, a.text);
        assert.equal(a.text, a.version === '2' ? 'two' : 'one', 'the body comes from the version the header names');
        seen.set(a.version!, (seen.get(a.version!) ?? 0) + 1);
      }
    }
    const second = seen.get('2') ?? 0;
    assert.equal(second + (seen.get('1') ?? 0), 1000);
    assert.ok(second >= 60 && second <= 140, `version 2 answered ${second} of 1000`);

    const rm = await cli('alias', 'rm', 'api', 'live');
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal((await get(n, '/live')).status, 404);
    const audit = (await n.client.audit({ app: 'shop' })).map((e) => e.action);
    assert.ok(audit.includes('alias.set') && audit.includes('alias.delete'), audit.join(', '));
  });

  it('promotes a canary when its window ends', async () => {
    await write(web('three'));
    const deployed = await cli('deploy', '.', '--canary', '50%', '--for', '2s');
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(deployed.stdout, /canary: 50% of the traffic on api v2→v3/);
    const versions = new Set<string>();
    await eventually(async () => {
      const a = await get(n, '/v');
      versions.add(`${a.version}:${a.text}`);
      return versions.has('3:three') || (await n.client.canaryStatus('shop')).state !== 'running';
    });
    const done = await eventually(async () => {
      const c = await n.client.canaryStatus('shop');
      return c.state === 'promoted' && c;
    });
    assert.match(done.reason ?? '', /no error threshold crossed in 2s/);
    assert.equal((await n.client.getFunction('shop', 'api')).activeVersion, 3);
    for (let i = 0; i < 5; i++) assert.deepEqual(Object.values(await get(n, '/v')).slice(0, 3), [200, '3', 'three']);
    const status = await cli('deploy', '--status', '--app', 'shop');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /canary deploy of app shop: promoted/);
  });

  it('rolls a canary back as soon as the new version fails more than the old one, and refuses deploys meanwhile', async () => {
    await write(throwing);
    const started = await deployDir(n.client, dir, { canary: { weight: 50, durationMs: 3_600_000 } });
    assert.deepEqual(
      started.canary?.functions.map((f) => [f.name, f.from, f.to]),
      [['api', 3, 4]],
    );
    await assert.rejects(deployDir(n.client, dir), (err) => err instanceof NimbusError && err.code === 'CANARY_IN_PROGRESS');
    const running = await cli('deploy', '--status', '--app', 'shop');
    assert.match(running.stdout, /running/);

    const statuses = new Set<number>();
    const done = await eventually(
      async () => {
        statuses.add((await get(n, '/v')).status);
        const c = await n.client.canaryStatus('shop');
        return c.state !== 'running' && c;
      },
      30_000,
      'the rollback',
    );
    assert.equal(done.state, 'rolled-back');
    assert.match(done.reason ?? '', /api v4 failed 100% of its requests \(\d+ of \d+\) against 0% on v3/);
    assert.ok(statuses.has(502), 'the new version answered some requests');
    assert.equal((await n.client.getFunction('shop', 'api')).activeVersion, 3);
    for (let i = 0; i < 5; i++) assert.deepEqual(Object.values(await get(n, '/v')).slice(0, 3), [200, '3', 'three']);

    const status = await cli('deploy', '--status', '--app', 'shop');
    assert.match(status.stdout, /rolled back/);
    assert.match(status.stdout, /failed 100% of its requests/);
    const audit = (await n.client.audit({ app: 'shop' })).map((e) => e.action);
    for (const action of ['canary.start', 'canary.promote', 'canary.rollback']) assert.ok(audit.includes(action), `${action} in ${audit.join(', ')}`);
    // The app deploys again once the canary is over.
    await write(web('five'));
    await deployDir(n.client, dir);
    assert.equal((await get(n, '/v')).text, 'five');
  });
});

describe('a canary across a node restart', () => {
  it('resumes a running canary with its traffic split, keeps aliases, and can be aborted afterwards', async () => {
    const root = await mkdtemp(join(tmpdir(), 'nimbus-canary-restart-'));
    const options = { dataDir: join(root, 'data'), port: 0, adminPort: 0, poolSize: 1, log: () => {} };
    const app = join(root, 'app');
    await mkdir(join(app, 'src'), { recursive: true });
    const put = async (code: string) => {
      for (const [path, content] of Object.entries(files(code))) await writeFile(join(app, path), content);
    };
    let node: RunningNimbus | undefined = await startNimbus(options);
    try {
      let client = new NimbusClient({ url: node.adminUrl, key: node.adminKey });
      await put(web('one'));
      await deployDir(client, app);
      await put(web('two'));
      await deployDir(client, app, { canary: { weight: 50, durationMs: 3_600_000 } });
      await client.setAlias('shop', 'api', 'live', 1);
      await node.close();
      node = undefined;

      node = await startNimbus(options);
      client = new NimbusClient({ url: node.adminUrl, key: node.adminKey });
      const url = node.gatewayUrl;
      const status = await client.canaryStatus('shop');
      assert.equal(status.state, 'running');
      assert.ok(status.remainingMs > 0);
      const seen = new Set<string>();
      await eventually(
        async () => {
          const res = await fetch(`${url}/v`);
          seen.add(`${res.headers.get('x-nimbus-version')}:${await res.text()}`);
          return seen.has('1:one') && seen.has('2:two');
        },
        30_000,
        'both versions to answer',
      );
      const live = await fetch(`${url}/live`);
      assert.deepEqual([live.headers.get('x-nimbus-version'), await live.text()], ['1', 'one']);
      const aborted = await client.abortCanary('shop');
      assert.equal(aborted.state, 'rolled-back');
      assert.match(aborted.reason ?? '', /aborted/);
      assert.equal((await client.getFunction('shop', 'api')).activeVersion, 1);
      for (let i = 0; i < 5; i++) assert.equal(await (await fetch(`${url}/v`)).text(), 'one');
    } finally {
      await node?.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

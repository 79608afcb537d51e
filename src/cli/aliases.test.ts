/** `nimbus alias` and `nimbus deploy --status` against a fake API: what goes on the wire, what is printed. */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeApi, type FakeRequest, startFakeApi } from '../client/fake-api.js';
import { runCli } from './run-cli.js';

const KEY = 'aliases-cli-key';
const alias = { app: 'shop', function: 'api', name: 'live', version: 3, weighted: { version: 4, weight: 10 }, createdAt: 0, updatedAt: 0 };

function answer(req: FakeRequest) {
  if (req.path === '/v1/apps/shop/functions/api/aliases/live') return { body: req.method === 'DELETE' ? { deleted: true } : alias };
  if (req.path === '/v1/apps/shop/functions/api/aliases') return { body: { aliases: [alias] } };
  if (req.path === '/v1/apps/shop/canary') {
    const fn = { name: 'api', from: 3, to: 4, old: { requests: 90, errors: 0 }, new: { requests: 10, errors: 5 } };
    return {
      body: {
        app: 'shop',
        state: 'rolled-back',
        weight: 10,
        startedAt: 0,
        endsAt: 300_000,
        maxErrorRate: 2,
        functions: [fn],
        reason: 'api v4 failed 50% of its requests',
        finishedAt: 12_000,
        elapsedMs: 12_000,
        remainingMs: 0,
      },
    };
  }
  return undefined;
}

describe('nimbus alias and deploy --status', () => {
  let api: FakeApi;
  let tmp: string;
  const cli = (...args: string[]) => runCli(args, { cwd: tmp, env: { NIMBUS_URL: api.url, NIMBUS_KEY: KEY } });

  before(async () => {
    api = await startFakeApi(KEY, answer);
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-alias-cli-'));
  });
  after(async () => {
    await api.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('takes --version after a command as the command’s own option, and still prints its version at the root', async () => {
    const own = await cli('--version');
    assert.equal(own.code, 0);
    assert.match(own.stdout, /^\d+\.\d+\.\d+/);
    const set = await cli('alias', 'set', 'shop/api', 'live', '--version', '3', '--weight', '4=10');
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout.trim(), 'shop/api:live → v3 (90%), v4 (10%)');
    const sent = api.requests.at(-1)!;
    assert.equal(`${sent.method} ${sent.path}`, 'PUT /v1/apps/shop/functions/api/aliases/live');
    assert.deepEqual(JSON.parse(sent.body), { version: 3, weighted: { version: 4, weight: 10 } });
  });

  it('takes the app from --app, lists and deletes', async () => {
    const ls = await cli('alias', 'ls', 'api', '--app', 'shop');
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /live\s+v3 \(90%\), v4 \(10%\)/);
    const rm = await cli('alias', 'rm', 'api', 'live', '--app', 'shop');
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(api.requests.at(-1)?.method, 'DELETE');
  });

  it('refuses a weight outside 1-99 before calling the server', async () => {
    const before = api.requests.length;
    const r = await cli('alias', 'set', 'shop/api', 'live', '--version', '3', '--weight', '4=100');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VERSION=PERCENT/);
    assert.equal(api.requests.length, before);
  });

  it('shows how a canary ended', async () => {
    const r = await cli('deploy', '--status', '--app', 'shop');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /canary deploy of app shop: rolled back/);
    assert.match(r.stdout, /ended after 12s: api v4 failed 50% of its requests/);
    assert.match(r.stdout, /api\s+v3\s+90\s+0\s+v4\s+10\s+5/);
  });
});

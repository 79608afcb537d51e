import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeApi, type FakeRequest, errorAnswer, startFakeApi } from '../../client/fake-api.js';
import { runCli } from '../run-cli.js';

const KEY = 'metrics-test-key';
const T = Date.UTC(2026, 10, 30, 12);
const summary = { namespace: 'shop', name: 'orders', unit: 'Count', count: 3, sum: 0.30000000000000004, min: 0.1, max: 0.1, last: 0.1, lastAt: T };

function answer(req: FakeRequest) {
  if (req.method !== 'GET' || req.path !== '/v1/apps/shop/functions/checkout/metrics') return errorAnswer(404, 'FUNCTION_NOT_FOUND', 'no such function');
  const name = req.query.get('name');
  if (name === null) return { body: { since: T - 3600_000, metrics: [summary] } };
  return {
    body: { since: T - 3600_000, metrics: [summary], points: [{ ts: T, namespace: 'shop', name, unit: 'Count', value: 0.1, dimensions: { service: 'checkout' }, version: 4, invocationId: 'inv-1' }] },
  };
}

describe('nimbus metrics', () => {
  let api: FakeApi;
  let tmp: string;
  const run = (args: string[]) => runCli(args, { cwd: tmp, env: { NIMBUS_URL: api.url, NIMBUS_KEY: KEY } });
  before(async () => {
    api = await startFakeApi(KEY, answer);
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-metrics-'));
  });
  after(async () => {
    await api.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('prints a summary per metric, values without float noise, and asks for --since', async () => {
    const r = await run(['metrics', 'shop/checkout', '--since', '24h']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAMESPACE\s+METRIC\s+UNIT\s+COUNT\s+SUM/m);
    assert.match(r.stdout, /^shop\s+orders\s+Count\s+3\s+0\.3\s+0\.1\s+0\.1\s+0\.1\s+2026-11-30T12:00:00\.000Z$/m);
    assert.equal(api.requests.at(-1)?.query.get('since'), '24h');
  });

  it('with --name lists the latest values with dimensions, version and invocation', async () => {
    const r = await run(['metrics', 'shop/checkout', '--name', 'orders', '-n', '5']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^2026-11-30T12:00:00\.000Z\s+0\.1\s+service=checkout\s+4\s+inv-1$/m);
    assert.equal(api.requests.at(-1)?.query.get('limit'), '5');
  });

  it('an unknown function is the server’s error, exit 1', async () => {
    const r = await run(['metrics', 'shop/nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FUNCTION_NOT_FOUND/);
  });
});

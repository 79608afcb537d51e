import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeApi, type FakeRequest, errorAnswer, startFakeApi } from '../../client/fake-api.js';
import { runCli } from '../run-cli.js';

const KEY = 'cluster-test-key';
const node = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  heartbeatAgeMs: 1200,
  alive: true,
  draining: false,
  instances: 3,
  inFlight: 1,
  gatewayUrl: `http://10.0.0.${id === 'a' ? 1 : 2}:8080`,
  adminUrl: `http://10.0.0.${id === 'a' ? 1 : 2}:8081`,
  ...over,
});
const status = { mode: 'cluster', self: 'a', nodes: [node('a'), node('b', { draining: true }), node('c', { alive: false, heartbeatAgeMs: 600_000 })], queue: { depth: 12 } };

function answer(req: FakeRequest) {
  if (req.method === 'GET' && req.path === '/v1/cluster') return { body: status };
  return errorAnswer(404, 'NOT_FOUND', 'no such endpoint');
}

describe('nimbus cluster', () => {
  let api: FakeApi;
  let tmp: string;
  const run = (args: string[]) => runCli(args, { cwd: tmp, env: { NIMBUS_URL: api.url, NIMBUS_KEY: KEY } });
  before(async () => {
    api = await startFakeApi(KEY, answer);
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-cluster-cli-'));
  });
  after(async () => {
    await api.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('status prints a row per node with its state, and the queue depth', async () => {
    const r = await run(['cluster', 'status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cluster of 2 live node\(s\); answered by a; queue depth 12/);
    assert.match(r.stdout, /^a \*\s+up\s+1\.2s\s+3\s+1\s+http:\/\/10\.0\.0\.1:8080/m);
    assert.match(r.stdout, /^b\s+draining\s/m);
    assert.match(r.stdout, /^c\s+dead\s+10m\s/m);
  });

  it('status --json prints the API body', async () => {
    const r = await run(['cluster', 'status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), status);
  });

  it('haproxy-config takes the live nodes from the cluster, or the --node list', async () => {
    const fromApi = await run(['cluster', 'haproxy-config', '--admin']);
    assert.equal(fromApi.code, 0, fromApi.stderr);
    assert.deepEqual(
      fromApi.stdout.split('\n').filter((l) => l.startsWith('    server ')),
      ['    server a 10.0.0.1:8080 check', '    server b 10.0.0.2:8080 check', '    server a 10.0.0.1:8081 check', '    server b 10.0.0.2:8081 check'],
    );
    const given = await run(['cluster', 'haproxy-config', '--node', 'x=http://h1:9000', '--node', 'y=http://h2:9000']);
    assert.equal(given.code, 0, given.stderr);
    assert.match(given.stdout, /^ {4}server x h1:9000 check\n {4}server y h2:9000 check$/m);
    assert.match(given.stdout, /^ {4}hash-balance-factor 150$/m);
    const bad = await run(['cluster', 'haproxy-config', '--node', 'http://h1:9000']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /id=http:\/\/host:port/);
  });
});

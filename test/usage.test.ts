/**
 * Metering on a real node: after N invocations of a 128 MB function, `/v1/usage`, `nimbus usage
 * --json` and `/v1/stats` (read from the per-minute rollups) agree with the stored records —
 * invocations, GB-seconds = Σ memory × billed duration, cost from the node's price sheet — and
 * an app-limited key sees only its app.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli/run-cli.js';
import { NimbusClient, type InvocationRecord } from '../src/client/index.js';
import { manifest, startTestNimbus, eventually, type TestNimbus } from './support/harness.js';

const N = 12;
const PRICES = { request: 0.001, gbSecond: 0.5 };

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

describe('usage, cost and stats', () => {
  let n: TestNimbus;
  let records: InvocationRecord[];
  let started: number;

  before(async () => {
    n = await startTestNimbus({ prices: PRICES });
    started = Date.now();
    const handler = 'export default { fetch: async () => { await new Promise((r) => setTimeout(r, 5)); return Response.json({ ok: true }); } };';
    await n.deploy({ 'nimbus.yaml': manifest('meter', { work: { handler: 'src/work.ts', memory: 128 } }), 'src/work.ts': handler });
    await n.deploy({ 'nimbus.yaml': manifest('other', { api: { handler: 'src/api.ts' } }), 'src/api.ts': handler });
    for (let i = 0; i < N; i++) assert.equal((await n.client.invoke('meter', 'work', { i })).status, 200);
    await n.client.invoke('other', 'api', {});
    records = await eventually(
      async () => {
        const found = await n.client.listInvocations('meter', 'work', { limit: 100 });
        return found.length === N && (await n.client.listInvocations('other', 'api')).length === 1 && found;
      },
      10_000,
      'the invocation records',
    );
  });
  after(() => n?.close());

  const gbSeconds = (): number => records.reduce((a, r) => a + r.memoryMb * r.billedMs, 0) / 1024 / 1000;

  it('reports N invocations, GB-seconds equal to the records and cost from the custom price sheet', async () => {
    assert.ok(records.every((r) => r.memoryMb === 128 && r.billedMs > 0));
    const u = await n.client.usage({ app: 'meter', since: '1h' });
    assert.equal(u.functions.length, 1);
    const fn = u.functions[0]!;
    assert.deepEqual([fn.app, fn.function, fn.invocations], ['meter', 'work', N]);
    close(fn.gbSeconds, gbSeconds(), 'GB-seconds');
    close(fn.cost, N * PRICES.request + gbSeconds() * PRICES.gbSecond, 'cost');
    assert.deepEqual(u.total, { invocations: fn.invocations, gbSeconds: fn.gbSeconds, cost: fn.cost });
    assert.ok(u.from <= started && u.to >= records[0]!.startedAt);

    const all = await n.client.usage();
    assert.deepEqual(
      all.functions.map((f) => [f.app, f.function, f.invocations]),
      [
        ['meter', 'work', N],
        ['other', 'api', 1],
      ],
    );
    assert.equal(all.total.invocations, N + 1);
  });

  it('nimbus usage --json answers the same', async () => {
    const env = { NIMBUS_URL: n.adminUrl, NIMBUS_KEY: n.adminKey };
    const run = await runCli(['usage', '--app', 'meter', '--function', 'work', '--since', '24h', '--json'], { cwd: n.dataDir, env });
    assert.equal(run.code, 0, run.stderr);
    const u = JSON.parse(run.stdout) as { total: { invocations: number; gbSeconds: number; cost: number } };
    assert.equal(u.total.invocations, N);
    close(u.total.gbSeconds, gbSeconds(), 'GB-seconds');
    close(u.total.cost, N * PRICES.request + gbSeconds() * PRICES.gbSecond, 'cost');
    const table = await runCli(['usage', '--app', 'meter'], { cwd: n.dataDir, env });
    assert.match(table.stdout, /meter\/work\s+12\s/);
  });

  it('/v1/stats: a continuous series whose sums equal the records, with plausible percentiles', async () => {
    const s = await n.client.stats({ app: 'meter', function: 'work', since: started - 5 * 60_000, step: 60 });
    assert.equal(s.step, 60);
    assert.equal(s.from % 60_000, 0);
    assert.ok(s.series.length >= 6, 'one bucket per minute, empty ones included');
    s.series.forEach((p, i) => assert.equal(p.t, s.from + i * 60_000));
    const sum = (k: 'invocations' | 'errors' | 'gbSeconds'): number => s.series.reduce((a, p) => a + p[k], 0);
    assert.equal(sum('invocations'), N);
    assert.equal(sum('errors'), 0);
    close(sum('gbSeconds'), gbSeconds(), 'series GB-seconds');
    assert.equal(s.total.invocations, N);
    assert.equal(s.total.coldStarts, records.filter((r) => r.coldStart).length);
    close(s.total.cost, N * PRICES.request + gbSeconds() * PRICES.gbSecond, 'total cost');
    const empty = s.series.find((p) => p.invocations === 0)!;
    assert.deepEqual([empty.p50, empty.gbSeconds, empty.cost], [null, 0, 0]);
    const durations = records.map((r) => r.durationMs).sort((a, b) => a - b);
    const { p50, p95, p99 } = s.total;
    assert.ok(p50 !== null && p95 !== null && p99 !== null);
    assert.ok(p50 <= p95 && p95 <= p99, `${p50} ${p95} ${p99}`);
    assert.ok(p99 <= durations.at(-1)! + 0.01, `p99 ${p99} over the longest ${durations.at(-1)}`);
    assert.ok(p50 >= 1, `p50 ${p50}: every invocation waits 5 ms`);

    const hourly = await n.client.stats({ app: 'meter', since: '24h', step: 3600 });
    assert.equal(hourly.series.length, 24 + (Date.now() % 3600_000 === 0 ? 0 : 1));
    assert.equal(hourly.total.invocations, N);
  });

  it('an app-limited key sees only its app', async () => {
    const key = await n.client.createKey({ name: 'other-reader', scope: 'read', apps: ['other'] });
    const as = new NimbusClient({ url: n.adminUrl, key: key.key });
    const u = await as.usage();
    assert.deepEqual(
      u.functions.map((f) => f.app),
      ['other'],
    );
    assert.equal((await as.usage({ app: 'meter' })).total.invocations, 0);
    assert.equal((await as.stats({ since: '1h' })).total.invocations, 1);
    assert.equal((await as.stats({ app: 'meter' })).total.invocations, 0);
  });
});

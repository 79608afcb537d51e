/**
 * Prometheus metrics (issue 10): counters agree exactly with invocation records, every gateway
 * answer is counted (those that never reached a function too), `/metrics` on the control API
 * needs a key, and `--metrics-port` serves the same text without one.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';
import { parsePromText, sampleSum, type Sample } from './support/prom-text.js';

/** Always slow, so the runtime never sends a request ahead into its busy instance: a second call is THROTTLED. */
const SLOW = `
export default {
  async fetch() {
    await new Promise((r) => setTimeout(r, 1500));
    return new Response('slow');
  },
};
`;

const FN = `
export default {
  async fetch(request) {
    const mode = new URL(request.url).searchParams.get('mode');
    if (mode === 'error') throw new Error('boom');
    return new Response('ok');
  },
};
`;

describe('metrics', () => {
  let n: TestNimbus;
  let readKey: string;
  before(async () => {
    n = await startTestNimbus({ metricsPort: 0, events: { backoff: { baseMs: 50, maxMs: 100, jitter: 'none' } } });
    await n.deploy({
      'nimbus.yaml': manifest('met', {
        fn: { handler: 'src/fn.ts', memory: 256, triggers: [{ http: 'GET /fn' }] },
        slow: { handler: 'src/slow.ts', concurrency: 1, instanceConcurrency: 1, triggers: [{ http: 'GET /slow' }] },
      }),
      'src/fn.ts': FN,
      'src/slow.ts': SLOW,
    });
    readKey = (await n.client.createKey({ name: 'scraper', scope: 'read' })).key;
  });
  after(() => n.close());

  const scrape = async (key = readKey): Promise<Sample[]> => {
    const res = await fetch(`${n.adminUrl}/metrics`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parsePromText(await res.text());
  };

  it('counts every invocation once, by status, with duration, cold starts and billed GB-seconds', async () => {
    const before = await scrape();
    const fn = { app: 'met', function: 'fn' };
    for (let i = 0; i < 3; i++) assert.equal((await n.fetch('/fn')).status, 200);
    assert.equal((await n.fetch('/fn?mode=error')).status >= 500, true);
    // concurrency 1: a call while the slow one runs is THROTTLED.
    const slow = n.fetch('/slow');
    await eventually(async () => (await scrape()).some((s) => s.name === 'nimbus_concurrent_executions' && s.labels['function'] === 'slow' && s.value === 1), 5000, 'the slow call to run');
    assert.equal((await n.fetch('/slow')).status, 429);
    assert.equal((await slow).status, 200);
    assert.equal((await n.fetch('/nowhere')).status, 404);

    const s = await scrape();
    const delta = (name: string, match: Record<string, string> = {}) => sampleSum(s, name, match) - sampleSum(before, name, match);
    const slowFn = { app: 'met', function: 'slow' };
    assert.equal(delta('nimbus_invocations_total', { ...fn, status: 'ok', trigger: 'http', version: '1' }), 3);
    assert.equal(delta('nimbus_invocations_total', { ...fn, status: 'error' }), 1);
    assert.equal(delta('nimbus_invocations_total', fn), 4);
    assert.equal(delta('nimbus_invocations_total', { ...slowFn, status: 'ok' }), 1);
    assert.equal(delta('nimbus_invocations_total', { ...slowFn, status: 'throttled' }), 1);
    assert.equal(delta('nimbus_invocations_total', { app: 'met' }), 6);
    assert.equal(delta('nimbus_invocation_duration_seconds_count', { ...fn, trigger: 'http' }), 4);
    assert.ok(delta('nimbus_invocation_duration_seconds_sum', slowFn) >= 1.5, 'the slow call took 1.5 s');

    // Counters equal what the records say.
    const records = await eventually(async () => {
      const list = [...(await n.client.listInvocations('met', 'fn', { limit: 100 })), ...(await n.client.listInvocations('met', 'slow', { limit: 100 }))];
      return list.length === 6 ? list : undefined;
    });
    // By status, the counters say exactly what the records say.
    for (const status of new Set(records.map((r) => r.status))) {
      assert.equal(delta('nimbus_invocations_total', { app: 'met', status }), records.filter((r) => r.status === status).length, status);
    }
    assert.equal(sampleSum(s, 'nimbus_cold_starts_total', { app: 'met' }), records.filter((r) => r.coldStart).length);
    assert.ok(sampleSum(s, 'nimbus_cold_starts_total', fn) >= 1, 'the first call was cold');
    assert.equal(sampleSum(s, 'nimbus_init_duration_seconds_count', { app: 'met' }), records.filter((r) => r.initMs !== null && r.coldStart).length);
    const gbs = records.reduce((a, r) => a + (r.memoryMb / 1024) * (r.billedMs / 1000), 0);
    assert.ok(gbs > 0);
    assert.ok(Math.abs(sampleSum(s, 'nimbus_billed_gb_seconds_total', { app: 'met' }) - gbs) < 1e-9, `billed ${gbs}`);

    // Gateway answers: 4 × 200, one 5xx, one 429, one 404 that never reached a function.
    const g = await eventually(async () => {
      const now = await scrape();
      return sampleSum(now, 'nimbus_gateway_requests_total') - sampleSum(before, 'nimbus_gateway_requests_total') === 7 ? now : undefined;
    });
    const code = (c: string) => sampleSum(g, 'nimbus_gateway_requests_total', { code: c }) - sampleSum(before, 'nimbus_gateway_requests_total', { code: c });
    assert.equal(code('200'), 4);
    assert.equal(code('429'), 1);
    assert.equal(code('404'), 1);
  });

  it('reports instances, pool processes and process metrics at scrape time', async () => {
    const s = await scrape();
    assert.ok(sampleSum(s, 'nimbus_instances', { app: 'met', function: 'fn' }) >= 1);
    assert.equal(sampleSum(s, 'nimbus_queued_requests', { app: 'met', function: 'fn' }), 0);
    assert.ok(s.some((x) => x.name === 'nimbus_pool_processes'));
    assert.ok(
      s.some((x) => x.name === 'process_cpu_user_seconds_total'),
      'default process metrics',
    );
  });

  it('counts async retries and dead letters per function', async () => {
    await n.deploy({
      'nimbus.yaml': manifest('evt', { failing: { handler: 'src/failing.ts', retries: 1 } }),
      'src/failing.ts': `export const handler = async () => { throw new Error('always'); };`,
    });
    await n.client.invokeAsync('evt', 'failing', { n: 1 });
    await eventually(async () => (await n.client.listDead('evt', 'failing')).length === 1, 15_000, 'the event dead-lettered after its one retry');
    const samples = await scrape();
    assert.equal(sampleSum(samples, 'nimbus_event_retries_total', { app: 'evt', function: 'failing' }), 1);
    assert.equal(sampleSum(samples, 'nimbus_dead_letters_total', { app: 'evt', function: 'failing' }), 1);
  });

  it('refuses a scrape without a key, and one with a key that lacks read', async () => {
    assert.equal((await fetch(`${n.adminUrl}/metrics`)).status, 401);
    const invokeKey = (await n.client.createKey({ name: 'inv', scope: 'invoke' })).key;
    assert.equal((await fetch(`${n.adminUrl}/metrics`, { headers: { authorization: `Bearer ${invokeKey}` } })).status, 403);
  });

  it('serves the same metrics without a key on --metrics-port', async () => {
    assert.ok(n.metricsUrl);
    const res = await fetch(n.metricsUrl);
    assert.equal(res.status, 200);
    const s = parsePromText(await res.text());
    assert.equal(sampleSum(s, 'nimbus_invocations_total', { app: 'met' }), 6, 'the same counters as GET /metrics');
    assert.equal((await fetch(n.metricsUrl.replace('/metrics', '/other'))).status, 404);
  });
});

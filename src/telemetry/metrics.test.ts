/** The node's metrics collector: records counted once each, gauges read from their sources at scrape time, one registry per node. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { InvocationRecord } from '../domain/index.js';
import { invocation } from '../store/contract-fixtures.js';
import { NodeMetrics, type MetricSources } from './metrics.js';

// The store's record fixture, as this node's functions would write them.
const rec = (over: Partial<InvocationRecord> = {}): InvocationRecord => invocation('x', 0, { app: 'a', function: 'f', version: 2, memoryMb: 512, ...over });

const sources = (over: Partial<MetricSources> = {}): MetricSources => ({
  instances: () => [],
  load: () => [],
  pool: () => ({}),
  now: () => 10_000,
  ...over,
});

async function value(m: NodeMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = m.registry.getSingleMetric(name);
  assert.ok(metric, `no metric ${name}`);
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want)).reduce((a, v) => a + v.value, 0);
}

describe('NodeMetrics', () => {
  it('counts each record once by status, with its duration, cold start and billed GB-seconds', async () => {
    const m = new NodeMetrics(sources());
    m.observe(rec());
    m.observe(rec({ status: 'error' }));
    m.observe(rec({ coldStart: true, initMs: 80 }));
    m.observe(rec({ status: 'throttled', trigger: 'event', billedMs: 0 }));
    assert.equal(await value(m, 'nimbus_invocations_total'), 4);
    assert.equal(await value(m, 'nimbus_invocations_total', { status: 'ok', version: '2', trigger: 'http' }), 2);
    assert.equal(await value(m, 'nimbus_invocations_total', { status: 'throttled', trigger: 'event' }), 1);
    assert.equal(await value(m, 'nimbus_cold_starts_total', { app: 'a', function: 'f' }), 1);
    const text = await m.scrape();
    assert.match(text, /nimbus_init_duration_seconds_sum\{app="a",function="f"\} 0\.08\n/);
    assert.match(text, /nimbus_invocation_duration_seconds_count\{app="a",function="f",trigger="http"\} 3\n/);
    // 3 × 0.5 GB × 0.013 s
    assert.ok(Math.abs((await value(m, 'nimbus_billed_gb_seconds_total')) - 3 * 0.5 * 0.013) < 1e-12);
  });

  it('reads instances, load, pool and event backlog at scrape time', async () => {
    let busy = 1;
    const m = new NodeMetrics(
      sources({
        instances: () => [
          { app: 'a', function: 'f', state: 'busy', count: busy },
          { app: 'a', function: 'f', state: 'idle', count: 2 },
        ],
        load: () => [{ app: 'a', function: 'f', concurrent: busy, queued: 3 }],
        pool: () => ({ 128: 2, 512: 1 }),
        events: async () => [{ app: 'a', function: 'f', pending: 7, oldestRunAt: 4_000 }],
      }),
    );
    assert.equal(await value(m, 'nimbus_instances', { state: 'busy' }), 1);
    busy = 4;
    assert.equal(await value(m, 'nimbus_instances', { state: 'busy' }), 4, 'computed at each scrape');
    assert.equal(await value(m, 'nimbus_concurrent_executions'), 4);
    assert.equal(await value(m, 'nimbus_queued_requests'), 3);
    assert.equal(await value(m, 'nimbus_pool_processes', { memory: '512' }), 1);
    assert.equal(await value(m, 'nimbus_events_pending', { app: 'a' }), 7);
    assert.equal(await value(m, 'nimbus_event_age_seconds', { app: 'a' }), 6);
  });

  it('keeps each node in its own registry', async () => {
    const one = new NodeMetrics(sources());
    const two = new NodeMetrics(sources());
    one.observe(rec());
    one.gatewayAnswer(404);
    assert.equal(await value(one, 'nimbus_invocations_total'), 1);
    assert.equal(await value(two, 'nimbus_invocations_total'), 0);
    assert.equal(await value(one, 'nimbus_gateway_requests_total', { code: '404' }), 1);
    assert.match(one.contentType, /^text\/plain; version=0\.0\.4/);
  });
});

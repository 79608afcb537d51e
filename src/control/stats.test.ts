import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { DEFAULT_PRICES } from '../domain/index.js';
import { invocation } from '../store/contract-fixtures.js';
import { MemoryStore } from '../store/index.js';
import { parseWhen, stats, usage } from './stats.js';

const MIN = 60_000;
const everyApp = { keyApps: [] };

describe('stats from rollups', () => {
  it('parses epoch ms, ISO times and durations back from now', () => {
    assert.equal(parseWhen('1700000000000', 0), 1_700_000_000_000);
    assert.equal(parseWhen('2026-01-01T00:00:00Z', 0), Date.UTC(2026, 0, 1));
    assert.equal(parseWhen('24h', 100 * 3600_000), 76 * 3600_000);
    assert.equal(parseWhen('90s', 100_000), 10_000);
    assert.equal(parseWhen('soon', 0), undefined);
  });

  it('aligns buckets to the step, fills empty ones with zeros and prices with the default sheet', async () => {
    const store = new MemoryStore();
    await store.insertInvocations([
      invocation('a', 7 * MIN, { billedMs: 1000, memoryMb: 1024 }),
      invocation('b', 9 * MIN, { billedMs: 500, memoryMb: 512, status: 'error' }),
      invocation('c', 16 * MIN, { status: 'throttled', billedMs: 0 }),
    ]);
    const s = await stats(store, everyApp, 6 * MIN, 19 * MIN, 300, DEFAULT_PRICES);
    assert.deepEqual([s.from, s.to, s.step], [5 * MIN, 20 * MIN, 300]);
    assert.deepEqual(
      s.series.map((p) => [p.t, p.invocations, p.errors, p.throttles, p.gbSeconds]),
      [
        [5 * MIN, 2, 1, 0, 1.25],
        [10 * MIN, 0, 0, 0, 0],
        [15 * MIN, 1, 1, 1, 0],
      ],
    );
    assert.equal(s.series[1]!.p99, null);
    // Two billable requests (the throttle is free) and 1.25 GB-s.
    assert.equal(s.total.cost, 2 * 0.0000002 + 1.25 * 0.0000166667);
    const u = await usage(store, { app: 'shop', keyApps: ['blog'] }, 0, 20 * MIN, DEFAULT_PRICES);
    assert.deepEqual(u.functions, []);
  });
});

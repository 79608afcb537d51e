import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteFunctionMetrics, type FunctionMetricPoint } from './function-metrics.js';
import { migrate } from './migrations.js';

function open(): SqliteFunctionMetrics {
  const db = new Database(':memory:');
  migrate(db);
  return new SqliteFunctionMetrics(db);
}

const point = (ts: number, value: number, over: Partial<FunctionMetricPoint> = {}): FunctionMetricPoint => ({
  app: 'shop',
  function: 'checkout',
  version: 1,
  invocationId: `inv-${ts}`,
  ts,
  namespace: 'shop',
  name: 'latency',
  unit: 'Milliseconds',
  value,
  dimensions: { service: 'checkout' },
  ...over,
});

describe('function metrics in SQLite (migration 0010)', () => {
  it('summarises per metric: count, sum, min, max and the newest value (not the largest)', () => {
    const m = open();
    m.append([point(1000, 5), point(3000, 2), point(2000, 9), point(2500, 1, { name: 'orders', unit: 'Count' }), point(4000, 1, { function: 'other' })]);
    assert.deepEqual(m.summary({ app: 'shop', function: 'checkout', since: 0 }), [
      { namespace: 'shop', name: 'latency', unit: 'Milliseconds', count: 3, sum: 16, min: 2, max: 9, last: 2, lastAt: 3000 },
      { namespace: 'shop', name: 'orders', unit: 'Count', count: 1, sum: 1, min: 1, max: 1, last: 1, lastAt: 2500 },
    ]);
    assert.deepEqual(
      m.summary({ app: 'shop', function: 'checkout', since: 2000, name: 'latency' }).map((s) => [s.count, s.last]),
      [[2, 2]],
    );
    m.close();
  });

  it('lists the newest values of one metric with their dimensions, and prunes and deletes by app', () => {
    const m = open();
    m.append([point(1000, 5), point(3000, 2), point(2000, 9)]);
    const points = m.points({ app: 'shop', function: 'checkout', since: 0, name: 'latency', limit: 2 });
    assert.deepEqual(
      points.map((p) => [p.ts, p.value, p.invocationId]),
      [
        [3000, 2, 'inv-3000'],
        [2000, 9, 'inv-2000'],
      ],
    );
    assert.deepEqual(points[0]?.dimensions, { service: 'checkout' });
    assert.equal(m.pruneBefore(1500), 1);
    assert.equal(m.deleteApp('shop'), 2);
    assert.deepEqual(m.summary({ app: 'shop', function: 'checkout', since: 0 }), []);
    m.close();
  });
});

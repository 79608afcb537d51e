/** The one contract every FunctionMetricStore runs (store/function-metrics.test.ts, store/pg-function-metrics.test.ts). */
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { FunctionMetricPoint } from '../store/function-metrics.js';
import type { FunctionMetricStore } from './function-metrics.js';

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

/** `make` returns an empty store each time. */
export function functionMetricStoreContract(label: string, make: () => FunctionMetricStore | Promise<FunctionMetricStore>): void {
  describe(`FunctionMetricStore contract: ${label}`, () => {
    let m: FunctionMetricStore;
    beforeEach(async () => {
      m = await make();
    });
    afterEach(() => m.close());

    it('summarises per metric: count, sum, min, max and the newest value (not the largest)', async () => {
      await m.append([point(1000, 5), point(3000, 2), point(2000, 9), point(2500, 1, { name: 'orders', unit: 'Count' }), point(4000, 1, { function: 'other' })]);
      assert.deepEqual(await m.summary({ app: 'shop', function: 'checkout', since: 0 }), [
        { namespace: 'shop', name: 'latency', unit: 'Milliseconds', count: 3, sum: 16, min: 2, max: 9, last: 2, lastAt: 3000 },
        { namespace: 'shop', name: 'orders', unit: 'Count', count: 1, sum: 1, min: 1, max: 1, last: 1, lastAt: 2500 },
      ]);
      assert.deepEqual(
        (await m.summary({ app: 'shop', function: 'checkout', since: 2000, name: 'latency' })).map((s) => [s.count, s.last]),
        [[2, 2]],
      );
    });

    it('the newest of two values at the same instant is the one appended last', async () => {
      await m.append([point(1000, 7)]);
      await m.append([point(1000, 3), point(1000, 4)]);
      assert.equal((await m.summary({ app: 'shop', function: 'checkout', since: 0 }))[0]?.last, 4);
      assert.deepEqual(
        (await m.points({ app: 'shop', function: 'checkout', since: 0, name: 'latency', limit: 3 })).map((p) => p.value),
        [4, 3, 7],
      );
    });

    it('lists the newest values of one metric with their dimensions, and prunes and deletes by app', async () => {
      await m.append([point(1000, 5), point(3000, 2), point(2000, 9, { invocationId: null, dimensions: {} }), point(2000, 1, { app: 'blog' })]);
      const points = await m.points({ app: 'shop', function: 'checkout', since: 0, name: 'latency', limit: 2 });
      assert.deepEqual(
        points.map((p) => [p.ts, p.value, p.invocationId]),
        [
          [3000, 2, 'inv-3000'],
          [2000, 9, null],
        ],
      );
      assert.deepEqual(points[0], point(3000, 2));
      assert.deepEqual(points[1]?.dimensions, {});
      assert.equal(await m.pruneBefore(1500), 1);
      assert.equal(await m.deleteApp('shop'), 2);
      assert.deepEqual(await m.summary({ app: 'shop', function: 'checkout', since: 0 }), []);
      assert.equal((await m.summary({ app: 'blog', function: 'checkout', since: 0 })).length, 1);
      await m.append([]);
    });
  });
}

/** The per-minute rollup half of the Store contract (called by storeContract in contract.ts). */
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { invocation } from './contract-fixtures.js';
import type { Store } from './port.js';
import { bucketOf, quantile } from './rollups.js';

const MIN = 60_000;
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

export function rollupsContract(name: string, make: (clock: () => number) => Promise<Store> | Store): void {
  describe(`Store contract (rollups): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await make(() => 1_000);
    });
    afterEach(() => store.close());

    it('sums records per app, function and minute, with errors, throttles, cold starts and GB-seconds', async () => {
      await store.insertInvocations([
        invocation('a', 10 * MIN + 5, { durationMs: 3, billedMs: 3, coldStart: true }),
        invocation('b', 10 * MIN + 59_999, { durationMs: 40, billedMs: 40, status: 'error' }),
        invocation('c', 11 * MIN, { durationMs: 0.5, billedMs: 1, status: 'throttled', memoryMb: 256 }),
        invocation('d', 10 * MIN, { function: 'pay' }),
        invocation('e', 10 * MIN, { app: 'blog', function: 'cart' }),
      ]);
      const rows = await store.queryRollups({ ...ALL, app: 'shop', function: 'cart' });
      assert.deepEqual(
        rows.map((r) => [r.minute, r.invocations, r.errors, r.throttles, r.coldStarts, r.durationMs, r.billedMs, r.mbBilledMs]),
        [
          [10 * MIN, 2, 1, 0, 1, 43, 43, 128 * 43],
          [11 * MIN, 1, 1, 1, 0, 0.5, 1, 256],
        ],
      );
      const h = rows[0]!.histogram;
      assert.equal(
        h.reduce((a, b) => a + b, 0),
        2,
      );
      assert.equal(h[bucketOf(3)], 1);
      assert.equal(h[bucketOf(40)], 1);
      assert.equal(rows[0]!.maxDurationMs, 40);
    });

    it('adds later batches to the same minute and filters by time, app, function and app list', async () => {
      await store.insertInvocations([invocation('a', 10 * MIN), invocation('x', 10 * MIN, { app: 'blog' })]);
      await store.insertInvocations([invocation('b', 10 * MIN + 1), invocation('c', 12 * MIN)]);
      assert.deepEqual(
        (await store.queryRollups({ ...ALL, app: 'shop' })).map((r) => [r.minute, r.invocations]),
        [
          [10 * MIN, 2],
          [12 * MIN, 1],
        ],
      );
      assert.deepEqual(
        (await store.queryRollups({ since: 10 * MIN + 1, until: 12 * MIN })).map((r) => r.minute),
        [],
        'a minute is selected by its start',
      );
      assert.deepEqual(
        (await store.queryRollups({ since: 10 * MIN, until: 11 * MIN })).map((r) => r.app),
        ['blog', 'shop'],
      );
      assert.deepEqual(
        (await store.queryRollups({ ...ALL, apps: ['blog'] })).map((r) => [r.app, r.invocations]),
        [['blog', 1]],
      );
      assert.deepEqual(await store.queryRollups({ ...ALL, apps: [] }), []);
      assert.deepEqual(await store.queryRollups({ ...ALL, function: 'nope' }), []);
    });

    it('mirrors the stored records when an id repeats: the replaced attempt is taken back, an older one ignored', async () => {
      await store.insertInvocations([invocation('ev', 10 * MIN, { status: 'error', billedMs: 100, durationMs: 100 })]);
      await store.insertInvocations([invocation('ev', 11 * MIN, { billedMs: 7, durationMs: 7 }), invocation('ev', 11 * MIN - 1)]);
      await store.insertInvocations([invocation('ev', 9 * MIN)]);
      const rows = await store.queryRollups(ALL);
      assert.deepEqual(
        rows.filter((r) => r.invocations !== 0).map((r) => [r.minute, r.invocations, r.errors, r.billedMs]),
        [[11 * MIN, 1, 0, 7]],
      );
      assert.equal(
        rows.reduce((a, r) => a + r.histogram.reduce((x, y) => x + y, 0), 0),
        1,
      );
    });

    it('keeps rollups when the records are pruned', async () => {
      await store.insertInvocations([invocation('a', 10 * MIN)]);
      await store.pruneBefore(20 * MIN);
      assert.equal(await store.getInvocation('a'), undefined);
      assert.equal((await store.queryRollups(ALL))[0]?.invocations, 1);
    });
  });

  describe('rollup quantiles', () => {
    it('interpolates inside a bucket and is null without data', () => {
      const h = new Array<number>(16).fill(0);
      assert.equal(quantile(h, 0, 0.5), null);
      h[bucketOf(3)] = 10; // (2, 5]
      assert.equal(quantile(h, 5, 0.5), 3.5);
      assert.equal(quantile(h, 4, 0.5), 3, 'the bucket ends at the longest duration seen');
      assert.equal(quantile(h, 4, 1), 4);
      h[bucketOf(90_000)] = 10;
      assert.equal(quantile(h, 90_000, 1), 90_000);
    });
  });
}

/** The alias and canary half of the Store contract (called by storeContract in contract.ts). */
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CanaryRecord } from '../domain/index.js';
import { fn, rejectsWith } from './contract-fixtures.js';
import type { Store } from './port.js';

const canary = (over: Partial<CanaryRecord> = {}): CanaryRecord => ({
  app: 'shop',
  state: 'running',
  weight: 10,
  startedAt: 1_000,
  endsAt: 301_000,
  maxErrorRate: 2,
  functions: [{ name: 'cart', from: 1, to: 2, old: { requests: 0, errors: 0 }, new: { requests: 0, errors: 0 } }],
  reason: null,
  finishedAt: null,
  ...over,
});

export function aliasesContract(name: string, make: (clock: () => number) => Promise<Store> | Store): void {
  describe(`Store contract (aliases, canaries): ${name}`, () => {
    let store: Store;
    let now = 1_000;
    beforeEach(async () => {
      now = 1_000;
      store = await make(() => now);
      await store.deployApp('shop', [fn('cart', 'a'), fn('pay', 'p')]);
      await store.deployApp('shop', [fn('cart', 'b'), fn('pay', 'p')]);
    });
    afterEach(() => store.close());

    it('sets, replaces, lists and deletes aliases', async () => {
      const live = await store.setAlias({ app: 'shop', function: 'cart', name: 'live', version: 1, weighted: { version: 2, weight: 10 } });
      assert.deepEqual(live, { app: 'shop', function: 'cart', name: 'live', version: 1, weighted: { version: 2, weight: 10 }, createdAt: 1_000, updatedAt: 1_000 });
      await store.setAlias({ app: 'shop', function: 'pay', name: 'beta', version: 1, weighted: null });
      now = 2_000;
      const moved = await store.setAlias({ app: 'shop', function: 'cart', name: 'live', version: 2, weighted: null });
      assert.deepEqual([moved.version, moved.weighted, moved.createdAt, moved.updatedAt], [2, null, 1_000, 2_000]);
      await store.setAlias({ app: 'shop', function: 'cart', name: 'beta', version: 1, weighted: null });
      assert.deepEqual(
        (await store.listAliases('shop', 'cart')).map((a) => a.name),
        ['beta', 'live'],
      );
      assert.deepEqual(
        (await store.listAliases('shop')).map((a) => `${a.function}:${a.name}`),
        ['cart:beta', 'cart:live', 'pay:beta'],
      );
      assert.equal((await store.listAliases()).length, 3);
      assert.equal(await store.deleteAlias('shop', 'cart', 'beta'), true);
      assert.equal(await store.deleteAlias('shop', 'cart', 'beta'), false);
      assert.deepEqual(
        (await store.listAliases('shop', 'cart')).map((a) => a.name),
        ['live'],
      );
    });

    it('refuses an alias of a function or version that does not exist', async () => {
      await assert.rejects(store.setAlias({ app: 'shop', function: 'nope', name: 'live', version: 1, weighted: null }), rejectsWith('FUNCTION_NOT_FOUND'));
      await assert.rejects(store.setAlias({ app: 'shop', function: 'cart', name: 'live', version: 3, weighted: null }), rejectsWith('VERSION_NOT_FOUND'));
      await assert.rejects(store.setAlias({ app: 'shop', function: 'cart', name: 'live', version: 1, weighted: { version: 9, weight: 5 } }), rejectsWith('VERSION_NOT_FOUND'));
      assert.deepEqual(await store.listAliases(), []);
    });

    it("drops a function's aliases with the function, and an app's with the app", async () => {
      await store.setAlias({ app: 'shop', function: 'cart', name: 'live', version: 1, weighted: null });
      await store.setAlias({ app: 'shop', function: 'pay', name: 'live', version: 1, weighted: null });
      await store.deleteFunction('shop', 'cart');
      assert.deepEqual(
        (await store.listAliases('shop')).map((a) => a.function),
        ['pay'],
      );
      await store.deployApp('shop', [fn('cart', 'c')]);
      assert.deepEqual(await store.listAliases('shop'), [], 'a deploy that removes pay removes its aliases');
      await store.setAlias({ app: 'shop', function: 'cart', name: 'live', version: 1, weighted: null });
      await store.deleteApp('shop');
      assert.deepEqual(await store.listAliases(), []);
    });

    it('keeps the active version on a keepActive (canary) deploy, except for new functions', async () => {
      const r = await store.deployApp('shop', [fn('cart', 'c'), fn('pay', 'p'), fn('new', 'n')], { keepActive: true });
      assert.deepEqual(
        r.functions.map((f) => [f.name, f.version, f.created]),
        [
          ['cart', 3, true],
          ['pay', 1, false],
          ['new', 1, true],
        ],
      );
      const cart = await store.getFunction('shop', 'cart');
      assert.deepEqual([cart?.activeVersion, cart?.latestVersion, cart?.active.version], [2, 3, 2]);
      assert.equal((await store.getFunction('shop', 'new'))?.activeVersion, 1);
      assert.equal((await store.getVersion('shop', 'cart', 3))?.codeHash !== undefined, true);
      await store.setActiveVersion('shop', 'cart', 3);
      assert.equal((await store.getFunction('shop', 'cart'))?.activeVersion, 3);
    });

    it("stores an app's latest canary, lists running ones, and drops it with the app", async () => {
      assert.equal(await store.getCanary('shop'), undefined);
      await store.saveCanary(canary());
      assert.deepEqual(await store.getCanary('shop'), canary());
      assert.deepEqual(
        (await store.runningCanaries()).map((c) => c.app),
        ['shop'],
      );
      const done = canary({
        state: 'rolled-back',
        reason: 'errors',
        finishedAt: 5_000,
        functions: [{ name: 'cart', from: 1, to: 2, old: { requests: 9, errors: 0 }, new: { requests: 10, errors: 4 } }],
      });
      // The running canary's counts are checkpointed; one that ended (or another start) is left alone.
      const counted = [{ name: 'cart', from: 1, to: 2, old: { requests: 5, errors: 0 }, new: { requests: 6, errors: 1 } }];
      assert.equal(await store.checkpointCanary(canary({ functions: counted })), true);
      assert.deepEqual((await store.getCanary('shop'))?.functions, counted);
      assert.equal(await store.checkpointCanary(canary({ startedAt: canary().startedAt + 1 })), false);
      await store.saveCanary(done);
      assert.equal(await store.checkpointCanary(canary()), false);
      assert.deepEqual(await store.getCanary('shop'), done);
      assert.deepEqual(await store.runningCanaries(), []);
      await assert.rejects(store.saveCanary(canary({ app: 'nope' })), rejectsWith('APP_NOT_FOUND'));
      await store.deleteApp('shop');
      assert.equal(await store.getCanary('shop'), undefined);
    });
  });
}

/** The one contract every `SecretStore` runs (memory.test.ts, sqlite.test.ts). */
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SecretRow, SecretStore } from './port.js';

const row = (app: string, name: string, data = 'c2VhbGVk', updatedAt = 1_000): SecretRow => ({ app, name, sealed: { iv: 'aXY=', data, tag: 'dGFn' }, updatedAt });

export function secretStoreContract(label: string, make: () => Promise<SecretStore> | SecretStore): void {
  describe(`SecretStore contract: ${label}`, () => {
    let store: SecretStore;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(() => store.close());

    it('puts, replaces, gets and lists per app in name order', async () => {
      await store.put(row('shop', 'zeta'));
      await store.put(row('shop', 'alpha'));
      await store.put(row('blog', 'alpha'));
      await store.put(row('shop', 'zeta', 'bmV3', 2_000));
      assert.deepEqual(await store.get('shop', 'zeta'), row('shop', 'zeta', 'bmV3', 2_000));
      assert.equal(await store.get('shop', 'nope'), undefined);
      assert.deepEqual(
        (await store.list('shop')).map((r) => r.name),
        ['alpha', 'zeta'],
      );
      assert.equal((await store.all()).length, 3);
    });

    it('deletes and says whether there was a row', async () => {
      await store.put(row('shop', 'a'));
      assert.equal(await store.delete('shop', 'a'), true);
      assert.equal(await store.delete('shop', 'a'), false);
      assert.deepEqual(await store.list('shop'), []);
    });

    it('keeps the key check value', async () => {
      assert.equal(await store.getKeyCheck(), undefined);
      await store.setKeyCheck({ iv: 'a', data: 'b', tag: 'c' });
      assert.deepEqual(await store.getKeyCheck(), { iv: 'a', data: 'b', tag: 'c' });
    });

    it('rewraps every row and the check value at once, or nothing when the list does not cover the rows', async () => {
      await store.put(row('shop', 'a'));
      await store.put(row('shop', 'b'));
      await store.setKeyCheck({ iv: 'old', data: 'old', tag: 'old' });
      await assert.rejects(store.rewrap([row('shop', 'a', 'TkVX')], { iv: 'new', data: 'new', tag: 'new' }));
      assert.equal((await store.get('shop', 'a'))?.sealed.data, 'c2VhbGVk');
      assert.equal((await store.getKeyCheck())?.iv, 'old');
      await store.rewrap([row('shop', 'a', 'TkVX'), row('shop', 'b', 'TkVX')], { iv: 'new', data: 'new', tag: 'new' });
      assert.deepEqual(
        (await store.all()).map((r) => r.sealed.data),
        ['TkVX', 'TkVX'],
      );
      assert.equal((await store.getKeyCheck())?.iv, 'new');
    });
  });
}

/**
 * The one contract every KvStore implementation runs (sqlite.test.ts, memory.test.ts, pg.test.ts).
 * Time is a FakeClock the suite moves, so TTLs are tested without sleeping. `make` and `sweep` may
 * be async (PostgreSQL); each `make` must return an empty store.
 */
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../shared/clock.js';
import type { KvStore } from './port.js';

type SweepableKv = KvStore & { sweep(): number | Promise<number> };

export function kvContract(name: string, make: (clock: FakeClock, options?: { quotaBytes?: number }) => SweepableKv | Promise<SweepableKv>): void {
  describe(`KvStore contract: ${name}`, () => {
    let kv: SweepableKv;
    let clock: FakeClock;
    beforeEach(async () => {
      clock = new FakeClock(1_000_000);
      kv = await make(clock);
    });
    afterEach(() => kv.close());

    const names = async (ns: string, options?: { prefix?: string; cursor?: string; limit?: number }) => (await kv.list(ns, options)).keys.map((k) => k.name);

    it('gets what was put, null for a missing key, and the latest value after an overwrite', async () => {
      assert.equal(await kv.get('s', 'a'), null);
      await kv.put('s', 'a', 'one');
      assert.equal(await kv.get('s', 'a'), 'one');
      await kv.put('s', 'a', 'two');
      assert.equal(await kv.get('s', 'a'), 'two');
    });

    it('keeps namespaces apart', async () => {
      await kv.put('s', 'k', 'in s');
      await kv.put('t', 'k', 'in t');
      assert.equal(await kv.get('s', 'k'), 'in s');
      assert.equal(await kv.get('t', 'k'), 'in t');
      await kv.delete('s', 'k');
      assert.equal(await kv.get('s', 'k'), null);
      assert.equal(await kv.get('t', 'k'), 'in t');
      assert.deepEqual(await names('t'), ['k']);
      assert.deepEqual(await names('u'), []);
    });

    it('deletes, and deleting a missing key is not an error', async () => {
      await kv.put('s', 'a', '1');
      await kv.delete('s', 'a');
      await kv.delete('s', 'never');
      assert.equal(await kv.get('s', 'a'), null);
    });

    it('stores values exactly (unicode, empty, large)', async () => {
      const big = 'x'.repeat(1024 * 1024);
      await kv.put('s', 'u', 'héllo 😀 \u0000 end');
      await kv.put('s', 'e', '');
      await kv.put('s', 'b', big);
      assert.equal(await kv.get('s', 'u'), 'héllo 😀 \u0000 end');
      assert.equal(await kv.get('s', 'e'), '');
      assert.equal(await kv.get('s', 'b'), big);
    });

    it('hides a value once its TTL has passed, and lists its expiration in epoch ms', async () => {
      await kv.put('s', 'short', 'v', { ttlSeconds: 10 });
      await kv.put('s', 'forever', 'v');
      assert.deepEqual((await kv.list('s')).keys, [
        { name: 'forever', expiration: null },
        { name: 'short', expiration: 1_010_000 },
      ]);
      clock.advance(9_999);
      assert.equal(await kv.get('s', 'short'), 'v');
      clock.advance(1);
      assert.equal(await kv.get('s', 'short'), null);
      assert.deepEqual(await names('s'), ['forever']);
    });

    it('a put without TTL clears an earlier TTL; a put with one sets it afresh', async () => {
      await kv.put('s', 'k', 'a', { ttlSeconds: 5 });
      await kv.put('s', 'k', 'b');
      clock.advance(60_000);
      assert.equal(await kv.get('s', 'k'), 'b');
      await kv.put('s', 'k', 'c', { ttlSeconds: 1 });
      clock.advance(1_000);
      assert.equal(await kv.get('s', 'k'), null);
    });

    it('sweeps expired values away and keeps live ones', async () => {
      await kv.put('s', 'old', 'v', { ttlSeconds: 1 });
      await kv.put('s', 'new', 'v', { ttlSeconds: 100 });
      clock.advance(2_000);
      assert.equal(await kv.sweep(), 1);
      assert.equal(await kv.sweep(), 0);
      assert.equal(await kv.get('s', 'new'), 'v');
      await kv.put('s', 'old', 'again');
      assert.equal(await kv.get('s', 'old'), 'again');
    });

    it('lists in UTF-8 byte order, filtered by prefix (no wildcard meaning in % or _)', async () => {
      for (const k of ['b', 'a', 'é', '😀', '\uFFFD', 'user:2', 'user:1', 'user_x', 'us%r', 'user']) await kv.put('s', k, '1');
      assert.deepEqual(await names('s'), ['a', 'b', 'us%r', 'user', 'user:1', 'user:2', 'user_x', 'é', '\uFFFD', '😀']);
      assert.deepEqual(await names('s', { prefix: 'user:' }), ['user:1', 'user:2']);
      assert.deepEqual(await names('s', { prefix: 'us%' }), ['us%r']);
      assert.deepEqual(await names('s', { prefix: 'user_' }), ['user_x']);
      assert.deepEqual(await names('s', { prefix: 'nothing' }), []);
    });

    it('pages with limit and cursor through every key once, the last page without a cursor', async () => {
      const all = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      for (const k of [...all].reverse()) await kv.put('s', k, '1');
      await kv.put('s', 'other', '1');
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await kv.list('s', { prefix: 'k', limit: 10, ...(cursor ? { cursor } : {}) });
        seen.push(...page.keys.map((k) => k.name));
        cursor = page.cursor ?? undefined;
        pages++;
        if (cursor) assert.equal(page.keys.length, 10);
      } while (cursor);
      assert.deepEqual(seen, all);
      assert.equal(pages, 3);
      const exact = await kv.list('s', { prefix: 'k0', limit: 10 });
      assert.equal(exact.keys.length, 10);
      assert.equal(exact.cursor, null, 'a page that ends exactly at the last key has no cursor');
    });

    it('drops a whole namespace (live values counted), leaving the others', async () => {
      await kv.put('s', 'a', '1');
      await kv.put('s', 'b', '1', { ttlSeconds: 1 });
      await kv.put('s', 'c', '1', { ttlSeconds: 100 });
      await kv.put('t', 'a', 'kept');
      clock.advance(1_000);
      assert.equal(await kv.deleteNamespace('s'), 2);
      assert.deepEqual(await names('s'), []);
      assert.equal(await kv.get('s', 'a'), null);
      assert.equal(await kv.get('t', 'a'), 'kept');
      assert.equal(await kv.deleteNamespace('never'), 0);
    });

    it("counts each app's bytes (key + value, UTF-8) across its namespaces; overwrites, deletes, drops and sweeps give them back", async () => {
      await kv.put('shop/a', 'k1', 'é'.repeat(10)); // 2 + 20
      await kv.put('shop/b', 'k2', 'xyz', { ttlSeconds: 1 }); // 2 + 3
      await kv.put('blog/a', 'k', 'v');
      assert.equal(await kv.usage('shop'), 27);
      assert.equal(await kv.usage('blog'), 2);
      await kv.put('shop/a', 'k1', 'ab'); // overwrite: 22 → 4
      assert.equal(await kv.usage('shop'), 9);
      await kv.delete('shop/a', 'k1');
      await kv.delete('shop/a', 'k1');
      assert.equal(await kv.usage('shop'), 5);
      clock.advance(1_000);
      assert.equal(await kv.sweep(), 1);
      assert.equal(await kv.usage('shop'), 0);
      await kv.put('blog/b', 'kk', 'vv');
      await kv.deleteNamespace('blog/a');
      assert.equal(await kv.usage('blog'), 4);
      assert.equal(await kv.usage('nobody'), 0);
    });

    it('refuses with QUOTA_EXCEEDED a put that takes an app over its quota, and has room again after a delete', async () => {
      await kv.close();
      kv = await make(clock, { quotaBytes: 100 });
      await kv.put('shop/a', 'a', 'x'.repeat(49)); // 50
      await kv.put('shop/b', 'b', 'x'.repeat(49)); // 100: exactly the quota
      await assert.rejects(kv.put('shop/a', 'c', 'x'), { code: 'QUOTA_EXCEEDED' });
      await assert.rejects(kv.put('shop/a', 'a', 'x'.repeat(50)), { code: 'QUOTA_EXCEEDED' }, 'an overwrite that grows counts its growth');
      assert.equal(await kv.get('shop/a', 'c'), null);
      assert.equal((await kv.get('shop/a', 'a'))?.length, 49, 'a refused overwrite keeps the old value');
      await kv.put('blog/a', 'a', 'x'.repeat(99)); // other apps have their own quota
      await kv.put('shop/a', 'a', 'small'); // shrinking is always allowed
      await kv.put('shop/a', 'c', 'x');
      await kv.delete('shop/b', 'b');
      await kv.put('shop/b', 'b', 'x'.repeat(49));
      assert.equal(await kv.usage('shop'), 6 + 2 + 50);
    });

    it('a cursor skips keys deleted or expired since, and still finds later ones', async () => {
      for (const k of ['a', 'b', 'c', 'd']) await kv.put('s', k, '1', k === 'c' ? { ttlSeconds: 1 } : {});
      const first = await kv.list('s', { limit: 2 });
      assert.deepEqual(
        first.keys.map((k) => k.name),
        ['a', 'b'],
      );
      await kv.delete('s', 'b');
      clock.advance(1_000);
      await kv.put('s', 'e', '1');
      assert.deepEqual(await names('s', { cursor: first.cursor ?? '' }), ['d', 'e']);
    });
  });
}

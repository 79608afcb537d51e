import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../pg/testing.js';
import { FakeClock } from '../shared/clock.js';
import { kvContract } from './contract.js';
import { PgKvStore } from './pg.js';

const target = await pgTestTarget(process.env);
const skip = 'skip' in target ? target.skip : false;

describe('PgKvStore', { skip }, () => {
  let db: PgTestSchema;
  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
  });
  after(async () => db?.drop());

  // Every store of the contract starts empty: the tables are emptied before each one is opened.
  kvContract('PgKvStore', async (clock, o) => {
    const kv = await PgKvStore.open({ pool: db.pool, clock, sweepMs: 0, ...o });
    await db.pool.query('TRUNCATE kv, kv_usage');
    return kv;
  });

  it('keeps usage exact when two nodes put 50 keys of one app at once, and when both overwrite the same key', async () => {
    const other = await db.openPool();
    const clock = new FakeClock(1_000);
    const [a, b] = await Promise.all([PgKvStore.open({ pool: db.pool, clock, sweepMs: 0 }), PgKvStore.open({ pool: other, clock, sweepMs: 0 })]);
    const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
    await Promise.all(keys.flatMap((k) => [a.put('race/a', k, 'x'.repeat(10)), b.put('race/b', k, 'y'.repeat(20))]));
    const expected = keys.reduce((sum, k) => sum + 2 * k.length + 30, 0);
    assert.equal(await a.usage('race'), expected);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).put('race/a', 'same', 'z'.repeat(i))));
    const last = (await a.get('race/a', 'same'))!;
    assert.equal(await b.usage('race'), expected + 4 + last.length);
    await a.close();
    await b.close();
  });

  it('two nodes racing for the last bytes of a quota: exactly what fits is stored, the rest refused', async () => {
    const other = await db.openPool();
    const [a, b] = await Promise.all([PgKvStore.open({ pool: db.pool, sweepMs: 0, quotaBytes: 100 }), PgKvStore.open({ pool: other, sweepMs: 0, quotaBytes: 100 })]);
    // 40 puts of 10 bytes (3-byte key + 7-byte value) into a quota of 100.
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).put('tight/x', `k${String(i).padStart(2, '0')}`, 'v'.repeat(7))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'QUOTA_EXCEEDED');
    assert.equal(await a.usage('tight'), 100);
    assert.equal((await b.list('tight/x')).keys.length, 10);
  });

  it('stores keys with U+0000 and astral characters, and lists them in UTF-8 byte order', async () => {
    const kv = await PgKvStore.open({ pool: db.pool, sweepMs: 0 });
    for (const k of ['a\u0000b', 'a', '😀', '\uFFFD']) await kv.put('bytes', k, k);
    assert.equal(await kv.get('bytes', 'a\u0000b'), 'a\u0000b');
    assert.deepEqual(
      (await kv.list('bytes')).keys.map((k) => k.name),
      ['a', 'a\u0000b', '\uFFFD', '😀'],
    );
    assert.deepEqual(
      (await kv.list('bytes', { prefix: 'a' })).keys.map((k) => k.name),
      ['a', 'a\u0000b'],
    );
    await kv.close();
  });

  it('the sweep deletes expired rows in batches and gives their bytes back', async () => {
    const clock = new FakeClock(0);
    const kv = await PgKvStore.open({ pool: db.pool, clock, sweepMs: 0 });
    await db.pool.query(`INSERT INTO kv (namespace, key, value, expires_at) SELECT 'swept/s', convert_to('k' || i, 'UTF8'), '\\x76', 1000 FROM generate_series(1, 2500) i`);
    await db.pool.query(`INSERT INTO kv_usage (app, bytes) VALUES ('swept', (SELECT sum(octet_length(key) + 1) FROM kv WHERE namespace = 'swept/s'))`);
    await kv.put('swept/s', 'keep', 'v');
    clock.advance(1_000);
    assert.equal(await kv.sweep(), 2500);
    assert.equal(await kv.usage('swept'), 5);
    const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM kv WHERE namespace = 'swept/s'");
    assert.equal(rows[0]!.n, 1);
    await kv.close();
  });
});

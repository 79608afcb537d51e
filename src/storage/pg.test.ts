import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../shared/clock.js';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../pg/testing.js';
import { FakeQueue, objectStoreContract, subscriber, until } from './contract.js';
import { OBJECT_TABLES, PgObjectStore } from './pg/index.js';
import type { BucketDirectory } from './port.js';

const target = await pgTestTarget(process.env);
const skip = 'skip' in target ? target.skip : false;

describe('PgObjectStore', { skip }, () => {
  let db: PgTestSchema;
  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
    await PgObjectStore.migrate(db.pool);
  });
  after(async () => db?.drop());

  // One schema for the file; each test starts from empty tables.
  objectStoreContract('PgObjectStore', async () => {
    await db.pool.query(`TRUNCATE ${OBJECT_TABLES.join(', ')}`);
    return { open: (deps) => PgObjectStore.open({ ...deps, pool: db.pool, sweepMs: 0 }), cleanup: async () => {} };
  });

  describe('two nodes', () => {
    const subs = [subscriber('all')];
    const buckets: BucketDirectory = { bucket: (n) => (n === 'uploads' ? { app: 'media', subscribers: subs } : undefined) };

    it('see the same objects, and a large object written on one streams from the other', async () => {
      await db.pool.query(`TRUNCATE ${OBJECT_TABLES.join(', ')}`);
      const queue = new FakeQueue();
      const clock = new FakeClock(1_000_000);
      const a = await PgObjectStore.open({ pool: db.pool, buckets, queue, sweepMs: 0, clock });
      const b = await PgObjectStore.open({ pool: await db.openPool(), buckets, queue, sweepMs: 0 });
      const big = Buffer.alloc(3 * 1024 * 1024 + 5, 9);
      const put = await a.put('uploads', 'big', big);
      assert.deepEqual((await b.get('uploads', 'big'))?.info, put);
      // A download under way still reads the bytes it started on while the object is replaced and deleted.
      const read = await b.openRead('uploads', 'big');
      await a.put('uploads', 'big', Buffer.from('small'));
      assert.equal(await a.delete('uploads', 'big'), true);
      let n = 0;
      for await (const piece of read!.body) n += (piece as Buffer).length;
      assert.equal(n, big.length);
      assert.equal(await b.head('uploads', 'big'), undefined);
      assert.equal(await b.usage('media'), 0);
      // Those bytes are deleted once the grace period is over, not before.
      const chunks = async () => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM bucket_chunks')).rows[0]!.n;
      assert.equal(await a.collectGarbage(), 0);
      assert.equal(await chunks(), 5);
      clock.advance(15 * 60_000);
      assert.equal(await a.collectGarbage(), 2);
      assert.equal(await chunks(), 0);
      await Promise.all([a.close(), b.close()]);
    });

    it('take other writes while a slow upload is arriving, and collect the bytes of one cut off half-way', async () => {
      await db.pool.query(`TRUNCATE ${OBJECT_TABLES.join(', ')}`);
      // One connection: an upload that held it while its body arrived would stall every other write.
      const pool = await db.openPool({ max: 1 });
      const store = await PgObjectStore.open({ pool, buckets, queue: new FakeQueue(), sweepMs: 0 });
      let release!: () => void;
      const arrived = new Promise<void>((r) => (release = r));
      let waiting!: () => void;
      const stalled = new Promise<void>((r) => (waiting = r));
      async function* slow() {
        yield Buffer.alloc(1024 * 1024 + 10, 1);
        waiting();
        await arrived;
        yield Buffer.from('end');
      }
      const upload = store.putStream('uploads', 'slow', slow());
      try {
        await stalled;
        assert.equal(pool.totalCount - pool.idleCount, 0, 'no connection is held while the body arrives');
        for (let i = 0; i < 3; i++) await store.put('uploads', `quick${i}`, Buffer.from('x'));
      } finally {
        release();
      }
      assert.equal((await upload).size, 1024 * 1024 + 13);
      assert.equal((await store.list('uploads')).objects.length, 4);
      async function* cut() {
        yield Buffer.alloc(2 * 1024 * 1024, 2);
        throw new Error('client went away');
      }
      await assert.rejects(store.putStream('uploads', 'cut', cut()), /client went away/);
      assert.equal(await store.head('uploads', 'cut'), undefined);
      const chunks = async () => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM bucket_chunks')).rows[0]!.n;
      assert.equal(await chunks(), 2 + 3 + 2, 'the cut-off upload wrote two chunks');
      assert.equal(await store.collectGarbage(), 1);
      assert.equal(await chunks(), 2 + 3, 'only the stored objects keep bytes');
      await store.close();
    });

    it('keep the quota exact when both put objects of one app at once', async () => {
      await db.pool.query(`TRUNCATE ${OBJECT_TABLES.join(', ')}`);
      const queue = new FakeQueue();
      const a = await PgObjectStore.open({ pool: db.pool, buckets, queue, sweepMs: 0, quotaBytes: 100 });
      const b = await PgObjectStore.open({ pool: await db.openPool(), buckets, queue, sweepMs: 0, quotaBytes: 100 });
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).put('uploads', `k${i}`, Buffer.alloc(10))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
      assert.ok(results.every((r) => r.status === 'fulfilled' || (r.reason as { code?: string }).code === 'QUOTA_EXCEEDED'));
      assert.equal(await a.usage('media'), 100);
      assert.equal((await b.list('uploads')).objects.length, 10);
      await Promise.all([a.close(), b.close()]);
    });

    it('move each bucket event to the queue once when both drain the same outbox, and a sweep moves rows a dead node left', async () => {
      await db.pool.query(`TRUNCATE ${OBJECT_TABLES.join(', ')}`);
      const queue = new FakeQueue();
      queue.fail = true;
      const dead = await PgObjectStore.open({ pool: db.pool, buckets, queue, sweepMs: 0 });
      for (let i = 0; i < 600; i++) await dead.put('uploads', `k${i}`, Buffer.from('x'));
      await dead.outboxDrained();
      await dead.close();
      queue.fail = false;
      // Two nodes start at once: each claims rows with SKIP LOCKED; one sweeps on a timer.
      const [a, b] = await Promise.all([PgObjectStore.open({ pool: db.pool, buckets, queue, sweepMs: 0 }), PgObjectStore.open({ pool: await db.openPool(), buckets, queue, sweepMs: 20 })]);
      await until(() => queue.events.length === 600);
      await Promise.all([a.outboxDrained(), b.outboxDrained()]);
      assert.equal(queue.offered.length, 600, 'no event was offered to the queue twice');
      const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM bucket_outbox');
      assert.equal(rows[0]!.n, 0);
      await Promise.all([a.close(), b.close()]);
    });
  });
});

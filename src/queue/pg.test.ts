import { strict as assert } from 'node:assert';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { PgPool } from '../pg/index.js';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../pg/testing.js';
import { ev, queueContract } from './contract.js';
import { PgEventQueue } from './pg/queue.js';

const target = await pgTestTarget(process.env);
const skip = 'skip' in target ? target.skip : false;
const A = { app: 'shop', function: 'mail' };

describe('PgEventQueue', { skip }, () => {
  let db: PgTestSchema;
  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
  });
  after(async () => db?.drop());

  // The contract wants an empty queue per test: the tables are emptied before each (one schema per file).
  const empty = (pool: PgPool) => pool.query('TRUNCATE queue_events, queue_idempotency').catch(() => {});
  queueContract('PgEventQueue', async (clock) => {
    await empty(db.pool);
    return PgEventQueue.open({ pool: db.pool, nodeId: 'solo', clock });
  });

  describe('leases across two nodes', () => {
    let now: number;
    let a: PgEventQueue;
    let b: PgEventQueue;
    let poolB: PgPool;
    const logs: string[] = [];
    before(async () => {
      poolB = await db.openPool();
    });
    beforeEach(async () => {
      await empty(db.pool);
      now = 1_000;
      // Heartbeats are driven by hand on the fake clock (the timer's period is out of reach).
      const opts = { clock: () => now, leaseMs: 10_000, heartbeatMs: 3_600_000, log: (l: string) => logs.push(l) };
      a = await PgEventQueue.open({ pool: db.pool, nodeId: 'a', ...opts });
      b = await PgEventQueue.open({ pool: poolB, nodeId: 'b', ...opts });
    });
    const closeBoth = () => Promise.all([a.close(), b.close()]);

    it('lets one node hold an event; when its lease expires another node takes it, and the late ack changes nothing', async () => {
      const e = ev();
      await a.enqueue([e]);
      assert.deepEqual(
        (await a.claim(A, 10, now)).map((x) => x.id),
        [e.id],
      );
      assert.deepEqual(await b.claim(A, 10, now), [], 'held by a');
      assert.deepEqual(await b.dueTargets(now + 9_000), [], 'not due while the lease lives');
      assert.equal(await b.nextRunAt(), 11_001, 'the dispatcher wakes when the lease expires');
      now = 11_001;
      assert.deepEqual(await b.dueTargets(now), [{ ...A, due: 1, oldestRunAt: 1_000 }], 'an expired lease makes the event due again');
      const [again] = await b.claim(A, 10, now);
      assert.deepEqual([again?.id, again?.attempts], [e.id, 2]);
      await a.complete([e.id]);
      assert.equal(a.stats.staleAcks, 1);
      assert.ok(logs.some((l) => l.includes('no longer holds their lease')));
      assert.equal(await b.depth(A), 1, 'the late ack of a did not delete the event b holds');
      await a.retry(e.id, now, 'late');
      await a.deadLetter(e.id, 'late', now);
      await a.release([e.id], now);
      assert.deepEqual(await a.listDead(A), []);
      await b.complete([e.id]);
      assert.equal(await a.depth(), 0);
      assert.equal(b.stats.staleAcks, 0);
      await closeBoth();
    });

    it("recovers only its own and expired leases, never another live node's", async () => {
      await a.enqueue([ev(), ev(), ev()]);
      const [b1] = await b.claim(A, 1, now);
      await a.claim(A, 1, now);
      now = 5_000;
      assert.equal(await a.recover(now), 1, "a's own lease only");
      assert.equal(await a.depth(A), 3);
      await b.complete([b1!.id]);
      assert.equal(b.stats.staleAcks, 0, "b's event was left running under b's lease");
      assert.equal(await a.depth(A), 2);
      const [a2] = await a.claim(A, 1, now);
      now = 20_000;
      assert.equal(await b.recover(now), 1, 'an expired lease is released by any node');
      await a.complete([a2!.id]);
      assert.equal(a.stats.staleAcks, 1);
      await closeBoth();
    });

    it('keeps a lease alive past leaseMs while the heartbeat runs', async () => {
      const e = ev();
      await a.enqueue([e]);
      await a.claim(A, 1, now);
      now = 9_000;
      await a.heartbeat();
      now = 12_000;
      assert.deepEqual(await b.claim(A, 1, now), [], 'extended to 19 000');
      assert.deepEqual(await b.dueTargets(now), []);
      now = 19_001;
      assert.equal((await b.claim(A, 1, now))[0]?.id, e.id, 'without heartbeats it expires');
      now = 20_000;
      await a.heartbeat();
      assert.equal(a.stats.lostLeases, 1, 'a learns it lost the lease');
      await a.complete([e.id]);
      assert.equal(await a.depth(A), 1);
      await b.complete([e.id]);
      assert.equal(await a.depth(A), 0);
      await closeBoth();
    });

    it('writes the retries and dead letters of one turn together, each checked against its own lease', async () => {
      const [e1, e2, e3, e4] = [ev(), ev(), ev(), ev()];
      await a.enqueue([e1, e2, e3, e4]);
      await a.claim(A, 2, now);
      now = 11_001;
      const stolen = await b.claim(A, 2, now);
      assert.deepEqual(
        stolen.map((e) => e.id),
        [e1.id, e2.id],
        "a's expired leases first (oldest)",
      );
      await b.claim(A, 2, now);
      await Promise.all([a.retry(e1.id, now, 'late'), b.retry(e3.id, 20_000, 'boom'), a.deadLetter(e2.id, 'late', now), b.deadLetter(e4.id, 'gone', now)]);
      assert.equal(a.stats.staleAcks, 2);
      assert.deepEqual(
        (await a.listDead(A)).map((d) => d.id),
        [e4.id],
      );
      assert.deepEqual(
        (await a.claim(A, 5, 20_000)).map((e) => [e.id, e.lastError]),
        [[e3.id, 'boom']],
      );
      await closeBoth();
    });

    it('hands its leases back at close, so the other node need not wait for them to expire', async () => {
      const e = ev();
      await a.enqueue([e]);
      await a.claim(A, 1, now);
      await a.close();
      assert.equal((await b.claim(A, 1, now))[0]?.id, e.id);
      await b.close();
    });

    it('commits 500 concurrent enqueues in far fewer transactions, all durable', async () => {
      const events = Array.from({ length: 500 }, () => ev());
      const answers = await Promise.all(events.map((e) => a.enqueue([e])));
      assert.deepEqual(
        answers.map((x) => x[0]?.id),
        events.map((e) => e.id),
      );
      const { commits, ops } = a.stats;
      assert.equal(ops, 500);
      assert.ok(commits <= 5, `500 concurrent enqueues took ${commits} commits`);
      const fresh = await db.openPool();
      const { rows } = await fresh.query<{ n: number }>('SELECT count(*) AS n FROM queue_events WHERE id = ANY($1)', [events.map((e) => e.id)]);
      assert.equal(rows[0]?.n, 500);
      await fresh.end();
      await closeBoth();
    });

    it('rejects only the call that fails inside a shared commit', async () => {
      const bad = { ...ev(), maxAttempts: null as unknown as number };
      const [good1, broken, good2] = await Promise.allSettled([a.enqueue([ev()]), a.enqueue([ev(), bad]), a.enqueue([ev()])]);
      assert.equal(good1.status, 'fulfilled');
      assert.equal(broken.status, 'rejected');
      assert.equal(good2.status, 'fulfilled');
      assert.equal(await a.depth(), 2, 'the failed call left none of its events behind');
      await assert.rejects(a.enqueue([{ ...ev(), payload: { big: 1n } }]), /BigInt/);
      await closeBoth();
    });

    it('claims each event once when two nodes claim the same target at the same time', async () => {
      await a.enqueue(Array.from({ length: 200 }, () => ev()));
      const got = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim(A, 30, now)));
      const ids = got.flat().map((e) => e.id);
      assert.equal(ids.length, 200);
      assert.equal(new Set(ids).size, 200);
      await closeBoth();
    });
  });
});

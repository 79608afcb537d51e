/**
 * The one contract every EventQueue implementation runs (sqlite.test.ts, memory.test.ts). Time
 * comes from the `now` the suite passes and from the clock it hands the factory.
 */
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DUE_COUNT_CAP, type EventQueue, type NewEvent } from './port.js';
import { IDEMPOTENCY_TTL_MS } from './rules.js';

const A = { app: 'shop', function: 'mail' };
const B = { app: 'shop', function: 'audit' };
let ids = 0;

export function ev(over: Partial<NewEvent> = {}): NewEvent {
  return { id: `e${String(++ids).padStart(6, '0')}`, target: A, source: 'invoke', shape: 'invoke', payload: { n: ids }, origin: '', maxAttempts: 3, expiresAt: 1_000_000, ...over };
}

export function queueContract(name: string, make: (clock: () => number) => Promise<EventQueue> | EventQueue): void {
  describe(`EventQueue contract: ${name}`, () => {
    let q: EventQueue;
    let now: number;
    beforeEach(async () => {
      now = 1_000;
      q = await make(() => now);
    });
    afterEach(() => q.close());

    it('enqueues, reports the target due and hands the event over with attempts counted at claim', async () => {
      const e = ev({ payload: { hello: ['world'] }, origin: 'orders', source: 'topic', shape: 'queue' });
      assert.deepEqual(await q.enqueue([e]), [{ id: e.id, duplicate: false }]);
      assert.deepEqual(await q.dueTargets(now), [{ ...A, due: 1, oldestRunAt: 1_000 }]);
      assert.equal(await q.depth(A), 1);
      const [got, ...rest] = await q.claim(A, 10, now);
      assert.equal(rest.length, 0);
      assert.deepEqual(got, {
        id: e.id,
        target: A,
        source: 'topic',
        shape: 'queue',
        payload: { hello: ['world'] },
        origin: 'orders',
        maxAttempts: 3,
        expiresAt: 1_000_000,
        hop: 0,
        attempts: 1,
        runAt: 1_000,
        createdAt: 1_000,
        lastError: null,
      });
      assert.deepEqual(await q.dueTargets(now), [], 'a running event is not due');
      assert.equal(await q.depth(A), 1, 'running events count in the depth');
      assert.deepEqual(await q.claim(A, 10, now), [], 'a running event is not claimed twice');
      await q.complete([got.id]);
      assert.equal(await q.depth(A), 0);
      assert.equal(await q.depth(), 0);
    });

    it('keeps future events waiting and names the next runAt', async () => {
      await q.enqueue([ev({ runAt: 5_000 }), ev({ target: B, runAt: 3_000 })]);
      assert.deepEqual(await q.dueTargets(now), []);
      assert.deepEqual(await q.claim(A, 10, now), []);
      assert.equal(await q.nextRunAt(), 3_000);
      assert.deepEqual(await q.dueTargets(5_000), [
        { ...B, due: 1, oldestRunAt: 3_000 },
        { ...A, due: 1, oldestRunAt: 5_000 },
      ]);
      await q.complete((await q.claim(B, 1, 5_000)).map((e) => e.id));
      assert.equal(await q.nextRunAt(), 5_000);
    });

    it('claims the oldest runAt first, in enqueue order on ties, up to the limit, one target only', async () => {
      const [a, b, c, d] = [ev({ runAt: 900 }), ev(), ev({ runAt: 500 }), ev()];
      await q.enqueue([a, b]);
      await q.enqueue([c, d, ev({ target: B })]);
      assert.deepEqual(
        (await q.claim(A, 3, now)).map((e) => e.id),
        [c.id, a.id, b.id],
      );
      assert.deepEqual(
        (await q.claim(A, 3, now)).map((e) => e.id),
        [d.id],
      );
      assert.equal(await q.depth(B), 1);
      assert.equal(await q.depth(), 5);
    });

    it('counts due events per target only up to the cap', async () => {
      await q.enqueue(Array.from({ length: DUE_COUNT_CAP + 5 }, () => ev()));
      assert.deepEqual(await q.dueTargets(now), [{ ...A, due: DUE_COUNT_CAP, oldestRunAt: 1_000 }]);
      assert.equal(await q.depth(A), DUE_COUNT_CAP + 5);
    });

    it('retries later with the error kept, and counts the next claim as a second attempt', async () => {
      const e = ev();
      await q.enqueue([e]);
      await q.claim(A, 1, now);
      await q.retry(e.id, 4_000, 'FUNCTION_ERROR: boom');
      assert.deepEqual(await q.claim(A, 1, 3_999), []);
      const [again] = await q.claim(A, 1, 4_000);
      assert.equal(again?.attempts, 2);
      assert.equal(again?.runAt, 4_000);
      assert.equal(again?.lastError, 'FUNCTION_ERROR: boom');
    });

    it('releases throttled events without counting the attempt', async () => {
      const [e1, e2] = [ev(), ev()];
      await q.enqueue([e1, e2]);
      await q.claim(A, 2, now);
      await q.release([e1.id, e2.id], 1_200);
      assert.deepEqual(await q.dueTargets(1_100), []);
      const again = await q.claim(A, 2, 1_200);
      assert.deepEqual(
        again.map((e) => e.attempts),
        [1, 1],
      );
    });

    it('dead-letters, lists the newest first with the reason, and redrives one or all with a fresh expiry', async () => {
      const [e1, e2, e3] = [ev({ expiresAt: 61_000 }), ev(), ev()];
      await q.enqueue([e1, e2, e3]);
      await q.claim(A, 3, now);
      await q.deadLetter(e1.id, 'RetriesExhausted', 2_000);
      await q.deadLetter(e2.id, 'EventAgeExceeded', 3_000);
      const dead = await q.listDead(A);
      assert.deepEqual(
        dead.map((d) => [d.id, d.reason, d.deadAt, d.attempts]),
        [
          [e2.id, 'EventAgeExceeded', 3_000, 1],
          [e1.id, 'RetriesExhausted', 2_000, 1],
        ],
      );
      assert.deepEqual(dead[1]?.payload, e1.payload);
      assert.deepEqual(
        (await q.listDead(A, 1)).map((d) => d.id),
        [e2.id],
      );
      assert.deepEqual(await q.listDead(B), []);
      assert.equal(await q.depth(A), 1, 'dead events are not in the depth');

      assert.equal(await q.redrive(A, 10_000, e1.id), 1);
      assert.equal(await q.redrive(A, 10_000, e1.id), 0, 'no longer dead');
      assert.equal(await q.redrive(B, 10_000), 0);
      const [back] = await q.claim(A, 5, 10_000);
      assert.deepEqual([back?.id, back?.attempts, back?.runAt, back?.expiresAt], [e1.id, 1, 10_000, 70_000]);
      assert.equal(await q.redrive(A, 20_000), 1);
      assert.deepEqual(await q.listDead(A), []);
      assert.equal(await q.depth(A), 3);
    });

    it("keeps each event's hop count through claim, retry and the dead-letter queue, and resets it on redrive", async () => {
      const [deep, fresh] = [ev({ hop: 15 }), ev()];
      await q.enqueue([deep, fresh]);
      const claimed = await q.claim(A, 10, now);
      assert.deepEqual(
        claimed.map((e) => [e.id, e.hop]),
        [
          [deep.id, 15],
          [fresh.id, 0],
        ],
      );
      await q.retry(deep.id, now, 'boom');
      assert.equal((await q.claim(A, 10, now))[0]?.hop, 15);
      await q.deadLetter(deep.id, 'RECURSIVE_INVOCATION: loop', now);
      assert.equal((await q.listDead(A))[0]?.hop, 15);
      assert.equal(await q.redrive(A, now, deep.id), 1);
      assert.equal((await q.claim(A, 10, now))[0]?.hop, 0, 'a redrive is an operator starting the chain again');
    });

    it('puts events left running back to pending at recovery', async () => {
      await q.enqueue([ev(), ev(), ev()]);
      await q.claim(A, 2, now);
      assert.equal(await q.recover(now), 2);
      const again = await q.claim(A, 5, now);
      assert.deepEqual(again.map((e) => e.attempts).sort(), [1, 2, 2], 'the interrupted attempt stays counted');
      assert.equal(await q.recover(now), 3);
    });

    it('answers a repeated idempotency key with the first id, per target, for 24 hours', async () => {
      const first = ev({ idempotencyKey: 'k1' });
      assert.deepEqual(await q.enqueue([first]), [{ id: first.id, duplicate: false }]);
      now += 1_000;
      const [dupe, sameBatch, other] = await q.enqueue([ev({ idempotencyKey: 'k1' }), ev({ idempotencyKey: 'k1' }), ev({ idempotencyKey: 'k1', target: B })]);
      assert.deepEqual(dupe, { id: first.id, duplicate: true });
      assert.deepEqual(sameBatch, { id: first.id, duplicate: true });
      assert.equal(other?.duplicate, false, 'keys are per target');
      assert.equal(await q.depth(A), 1);
      // Delivered and forgotten: the key still answers.
      await q.complete((await q.claim(A, 1, now)).map((e) => e.id));
      assert.deepEqual(await q.enqueue([ev({ idempotencyKey: 'k1' })]), [{ id: first.id, duplicate: true }]);
      now = 1_000 + IDEMPOTENCY_TTL_MS + 1;
      const late = ev({ idempotencyKey: 'k1' });
      assert.deepEqual(await q.enqueue([late]), [{ id: late.id, duplicate: false }], 'expired keys do not count');
    });

    it('prunes idempotency keys older than a time', async () => {
      await q.enqueue([ev({ idempotencyKey: 'old' })]);
      now = 5_000;
      await q.enqueue([ev({ idempotencyKey: 'new' })]);
      await q.pruneIdempotency(2_000);
      const [old, recent] = await q.enqueue([ev({ idempotencyKey: 'old' }), ev({ idempotencyKey: 'new' })]);
      assert.equal(old?.duplicate, false);
      assert.equal(recent?.duplicate, true);
    });

    it('treats an id it already holds as a duplicate', async () => {
      const e = ev();
      await q.enqueue([e]);
      assert.deepEqual(await q.enqueue([{ ...e, payload: 'other' }]), [{ id: e.id, duplicate: true }]);
      assert.deepEqual(
        (await q.claim(A, 5, now)).map((x) => x.payload),
        [e.payload],
      );
    });

    it('copies payloads in and out', async () => {
      const payload = { list: [1] };
      const e = ev({ payload });
      await q.enqueue([e]);
      payload.list.push(2);
      const [got] = await q.claim(A, 1, now);
      assert.deepEqual(got?.payload, { list: [1] });
    });

    it('settles many concurrent enqueues, each with its own answer', async () => {
      const events = Array.from({ length: 200 }, () => ev());
      const answers = await Promise.all(events.map((e) => q.enqueue([e])));
      assert.deepEqual(
        answers.map((a) => a[0]?.id),
        events.map((e) => e.id),
      );
      assert.equal(await q.depth(A), 200);
    });

    it('refuses work after close', async () => {
      await q.close();
      await assert.rejects(q.enqueue([ev()]), { code: 'SHUTTING_DOWN' });
    });
  });
}

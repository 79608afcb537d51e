/**
 * The dispatcher over a shared PostgreSQL queue, on real time: a node delivers the events another
 * node accepted, and those a dead node had claimed once their leases expire. Nothing is timed:
 * each test waits until the deliveries happened (or the file's timeout fails it).
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../pg/testing.js';
import { systemClock } from '../shared/clock.js';
import { FakeRuntime, version } from './dispatcher-fixtures.js';
import { EventDispatcher } from './dispatcher.js';
import { PgEventQueue } from './pg/queue.js';
import { EventService } from './service.js';

const target = await pgTestTarget(process.env);
const T = { app: 'shop', function: 'mail' };
const spec = (n: number) => ({ source: 'invoke' as const, shape: 'invoke' as const, payload: { n } });

describe('EventDispatcher on a shared PgEventQueue', { skip: 'skip' in target ? target.skip : false, timeout: 60_000 }, () => {
  let db: PgTestSchema;
  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
  });
  after(async () => db?.drop());

  it("delivers the events another node accepted, and a dead node's claimed events once their leases expire", async () => {
    const fn = version('mail');
    const functions = { current: () => fn };
    // Node a accepts and claims, then dies: no heartbeat, no acknowledgement, no close.
    const a = await PgEventQueue.open({ pool: await db.openPool(), nodeId: 'a', leaseMs: 300, heartbeatMs: 3_600_000 });
    const b = await PgEventQueue.open({ pool: await db.openPool(), nodeId: 'b', leaseMs: 300, pollMs: 20 });
    const runtime = new FakeRuntime();
    const dispatcher = new EventDispatcher({ queue: b, events: new EventService({ queue: b, functions, clock: systemClock }), runtime, functions, clock: systemClock });
    try {
      const viaA = new EventService({ queue: a, functions, clock: systemClock });
      const accepted = await Promise.all(Array.from({ length: 3 }, (_, i) => viaA.submit(T, spec(i))));
      const claimedByA = await a.claim(T, 3, Date.now());
      // b's first pass finds nothing due; only its poll (and a's leases expiring) can bring work.
      dispatcher.start();
      accepted.push(...(await Promise.all(Array.from({ length: 3 }, (_, i) => viaA.submit(T, spec(3 + i))))));
      while (runtime.calls.length < 6) await sleep(20);
      await dispatcher.idle();
      assert.deepEqual(runtime.calls.map((c) => c.id).sort(), accepted.map((r) => r.id).sort(), 'every accepted event delivered once, by b');
      assert.equal(await b.depth(), 0);
      // The events a held were delivered as second attempts (the interrupted one counted).
      assert.equal(claimedByA.length, 3);
      await a.complete(claimedByA.map((e) => e.id));
      assert.equal(a.stats.staleAcks, 3, "a's late acknowledgements changed nothing");
    } finally {
      await dispatcher.close();
      await Promise.all([a.close(), b.close()]);
    }
  });
});

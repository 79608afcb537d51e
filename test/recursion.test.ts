/**
 * Loop detection end to end (issue 8, finding 8): functions that trigger themselves — a topic
 * subscriber republishing to its own topic, a bucket trigger writing its own bucket, an onSuccess
 * destination sending to the topic the function subscribes to — stop after 16 invocations in a
 * chain: the 17th event is dead-lettered as RECURSIVE_INVOCATION with a line in the function's
 * log, as Lambda's loop detection does. A chain shorter than that is delivered to its end.
 * Hops are counted by the host from the invocation it runs; hop arithmetic is unit-tested in
 * src/queue/dispatcher.test.ts and src/runtime/hops.test.ts.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const APP = 'loops';

// Republishes every message with n + 1, up to `stop` (Infinity: for ever, before loop detection).
const RING = `
export default {
  async queue(batch, env) {
    for (const m of batch.messages) {
      console.log('ring ' + JSON.stringify(m.body));
      if (m.body.n < m.body.stop) await env.RING.publish({ n: m.body.n + 1, stop: m.body.stop });
    }
  },
};
`;
// Writes the next key of the bucket it is triggered by. The write is tried again in place if it
// fails: SQLite's "database is locked" under concurrent writers is a separate finding (issue 8's
// storage work), and a redelivery would start a second chain and blur the count.
const MIRROR = `
export default {
  async queue(batch, env) {
    for (const m of batch.messages) {
      const n = Number(m.body.key.split('/')[1]);
      console.log('mirror ' + n);
      for (let attempt = 1; ; attempt++) {
        try {
          await env.MIRROR.put('k/' + (n + 1), 'again');
          break;
        } catch (e) {
          if (attempt >= 20) throw e;
          await new Promise((r) => setTimeout(r, 25));
        }
      }
    }
  },
};
`;
// Succeeds; its onSuccess destination is the topic it subscribes to.
const ECHO = `
export default {
  async queue(batch) {
    for (const m of batch.messages) console.log('echo ' + (m.body.requestContext ? 'record' : 'first'));
  },
};
`;

describe('loop detection', () => {
  let n: TestNimbus;
  const lines = async (fn: string) => (await n.client.logs(APP, fn, { limit: 1000 })).lines;
  const tagged = async (fn: string, tag: string) => (await lines(fn)).filter((l) => l.line.startsWith(`${tag} `));
  /** Waits for the function's one dead letter, then checks it and the log line beside it. */
  const stopped = async (fn: string) => {
    const [dead, ...more] = await eventually(async () => ((await n.client.listDead(APP, fn)).length > 0 ? n.client.listDead(APP, fn) : undefined), 60_000, `${fn}'s loop to be stopped`);
    assert.equal(more.length, 0);
    assert.match(dead!.reason, /^RECURSIVE_INVOCATION: .* is hop 16 of a chain of invocations/);
    const line = await eventually(async () => (await lines(fn)).find((l) => l.line.includes('RECURSIVE_INVOCATION')), 10_000, 'the log line');
    assert.equal(line.stream, 'system');
    assert.ok(line.line.includes(dead!.id), 'the line names the event');
    assert.equal((await n.client.queueDepth(APP, fn)).depth, 0, 'nothing of the loop is left queued');
    return dead!;
  };

  before(async () => {
    n = await startTestNimbus();
    await n.deploy({
      'nimbus.yaml': manifest(APP, {
        ring: { handler: 'src/ring.ts', retries: 0, timeout: 10, bindings: { RING: { topic: 'ring' } }, triggers: [{ topic: 'ring' }] },
        mirror: { handler: 'src/mirror.ts', retries: 0, timeout: 10, bindings: { MIRROR: { bucket: 'mirror' } }, triggers: [{ bucket: 'mirror', events: ['created'] }] },
        echo: { handler: 'src/echo.ts', retries: 0, timeout: 10, destinations: { onSuccess: { topic: 'echo' } }, triggers: [{ topic: 'echo' }] },
      }),
      'src/ring.ts': RING,
      'src/mirror.ts': MIRROR,
      'src/echo.ts': ECHO,
    });
  });
  after(() => n?.close());

  it('stops a subscriber republishing to its own topic after 16 deliveries', async () => {
    await n.client.publish('ring', { n: 0, stop: 1e9 });
    const dead = await stopped('ring');
    assert.deepEqual(dead.payload, { n: 16, stop: 1e9 });
    assert.equal(dead.source, 'topic');
    const ns = (await tagged('ring', 'ring')).map((l) => (JSON.parse(l.line.slice(5)) as { n: number }).n);
    assert.deepEqual(
      ns.sort((a, b) => a - b),
      Array.from({ length: 16 }, (_, i) => i),
    );
  });

  it('stops a bucket trigger writing its own bucket after 16 deliveries', async () => {
    await n.client.putObject('mirror', 'k/0', 'start');
    const dead = await stopped('mirror');
    assert.equal((dead.payload as { key: string }).key, 'k/16');
    assert.equal((await tagged('mirror', 'mirror')).length, 16);
  });

  it('stops a destination sending to the topic its own function subscribes to', async () => {
    await n.client.publish('echo', 'go');
    await stopped('echo');
    const got = await tagged('echo', 'echo');
    assert.equal(got.length, 16);
    assert.equal(got.filter((l) => l.line === 'echo first').length, 1);
  });

  it('delivers a chain shorter than the limit to its end', async () => {
    const before = (await tagged('ring', 'ring')).length;
    // Hops 0..14: the last delivery is the 15th, one short of the limit.
    await n.client.publish('ring', { n: 100, stop: 114 });
    await eventually(async () => (await tagged('ring', 'ring')).some((l) => l.line.includes('"n":114')), 30_000, 'the chain to reach its end');
    assert.equal((await tagged('ring', 'ring')).length - before, 15);
    assert.equal((await n.client.listDead(APP, 'ring')).length, 1, "only the first test's loop was dead-lettered");
    assert.equal((await n.client.queueDepth(APP, 'ring')).depth, 0);
  });
});

/**
 * Concurrent writers on the node's one SQLite file (issue 8): functions writing KV values and
 * objects through their bindings, a topic subscriber doing the same, the control API storing
 * objects, and a function flooding its log (the telemetry worker's commits) — all at once. Seen
 * before the fix: "database is locked" surfaced as BINDING_ERROR in functions and 500 on the
 * control API's bucket PUT. Nothing may fail.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const WRITER = `
export default {
  async fetch(request, env) {
    const i = new URL(request.url).searchParams.get('i');
    try {
      await env.STATE.put('k' + i, 'v'.repeat(2048));
      await env.FILES.put('w/' + i, 'x'.repeat(4096));
      await env.STATE.delete('k' + (i - 1));
      return new Response('ok');
    } catch (e) {
      return new Response(JSON.stringify({ code: e.code ?? null, message: e.message }), { status: 500 });
    }
  },
};
`;
const SUBSCRIBER = `
export default {
  async queue(batch, env) {
    for (const m of batch.messages) {
      await env.STATE.put('t' + m.body.i, 'v'.repeat(1024));
      await env.FILES.put('t/' + m.body.i, 'y'.repeat(1024));
    }
  },
};
`;
const LOGGER = `
export default {
  async fetch() {
    for (let i = 0; i < 200; i++) console.log(i + ' ' + 'z'.repeat(4000));
    return new Response('logged');
  },
};
`;

describe('concurrent writers on one database', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus({ maxInstances: 12 });
    const bindings = { STATE: { kv: 'state' }, FILES: { bucket: 'files' } };
    await n.deploy({
      'nimbus.yaml': manifest('busy', {
        writer: { handler: 'src/writer.ts', bindings, instanceConcurrency: 8, timeout: 30, triggers: [{ http: 'GET /write' }] },
        sub: { handler: 'src/sub.ts', bindings, timeout: 30, triggers: [{ topic: 'ticks' }] },
        logger: { handler: 'src/logger.ts', instanceConcurrency: 4, timeout: 30, triggers: [{ http: 'GET /log' }] },
      }),
      'src/writer.ts': WRITER,
      'src/sub.ts': SUBSCRIBER,
      'src/logger.ts': LOGGER,
    });
  });
  after(() => n.close());

  it('answers every bucket PUT, binding write and topic delivery without "database is locked"', async () => {
    const failures: string[] = [];
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      const work: Array<Promise<void>> = [];
      for (let i = 0; i < 12; i++) {
        const id = round * 100 + i;
        work.push(
          n.fetch(`/write?i=${id}`).then(async (r) => {
            if (r.status !== 200) failures.push(`function write ${id}: ${r.status} ${await r.text()}`);
          }),
          n.client.putObject('files', `api/${id}`, Buffer.alloc(64 * 1024, id % 256)).then(
            () => undefined,
            (err: Error & { code?: string }) => void failures.push(`control PUT ${id}: ${err.code} ${err.message}`),
          ),
          n.client.publish('ticks', { i: id }).then(
            () => undefined,
            (err: Error & { code?: string }) => void failures.push(`publish ${id}: ${err.code} ${err.message}`),
          ),
        );
        if (i % 3 === 0) work.push(n.fetch('/log').then((r) => void r.text()));
      }
      await Promise.all(work);
    }
    assert.deepEqual(failures, []);
    // Every topic delivery ran once and succeeded (no dead letters, no failed attempt).
    await eventually(async () => (await n.client.queueDepth('busy', 'sub')).depth === 0, 30_000, 'the topic queue to drain');
    assert.deepEqual(await n.client.listDead('busy', 'sub'), []);
    const records = await n.client.listInvocations('busy', 'sub', { limit: 1000 });
    const failed = records.filter((r) => r.status !== 'ok');
    assert.deepEqual(
      failed.map((r) => `${r.errorCode}: ${r.errorMessage}`),
      [],
    );
    assert.ok(!n.logs.some((l) => /database is locked/i.test(l)), n.logs.filter((l) => /locked/i.test(l)).join('\n'));
  });
});

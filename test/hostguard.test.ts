/**
 * An untrusting host side, end to end (issue 8, findings 3 and 5): functions speak the sandbox
 * protocol themselves on fd 3 and grow memory where the host did not look. The attacks are real;
 * what is asserted is what a user sees: the record, the function's log, the server's own memory,
 * and a well-behaved function still served.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';
import { FRAME, serverRss } from './support/hostile.js';

const MB = 1024 * 1024;

// Forges a `ready` with a 4 GB baseline, then grows 512 MB of Buffers during the invocation.
const FORGED_READY = `${FRAME}
export default {
  async fetch() {
    await frame({ t: 'ready', rss: 4e9 });
    const held = [];
    for (let i = 0; i < 32; i++) { held.push(Buffer.alloc(16 * 1024 * 1024, 1)); await sleep(20); }
    globalThis.held = held;
    return new Response('survived with ' + held.length * 16 + ' MB');
  },
};
`;
// Answers at once, then grows 640 MB of Buffers in timers (outside the V8 heap limit).
const IDLE_LEAK = `
export default {
  async fetch() {
    const held = (globalThis.held = []);
    const grow = () => { if (held.length < 40) { held.push(Buffer.alloc(16 * 1024 * 1024, 1)); setTimeout(grow, 20); } };
    setTimeout(grow, 50);
    setInterval(() => {}, 1000);
    return new Response('answered');
  },
};
`;
// Sends 80 MB of parts of a call it never makes, so the host buffers them for nothing.
const PINNER = `${FRAME}
export default {
  async fetch() {
    const slice = 'A'.repeat(4 * 1024 * 1024);
    for (let i = 0; i < 20; i++) await frame({ t: 'part', cid: 1e6, data: slice });
    return new Response('pinned');
  },
};
`;

describe('an untrusting host side', () => {
  let n: TestNimbus;
  const record = (id: string) => eventually(() => n.client.getInvocation(id).catch(() => undefined), 10_000, `the record of ${id}`);
  const systemLines = async (fn: string) => (await n.client.logs('hostile', fn, { limit: 1000 })).lines.filter((l) => l.stream === 'system').map((l) => l.line);

  before(async () => {
    // A small node-wide budget for uploads in flight, so the bound shows clearly against 4 × 80 MB.
    n = await startTestNimbus({ transferBudgetMb: 16 });
    const functions: Record<string, Record<string, unknown>> = {
      forged: { handler: 'src/forged.ts', memory: 128, timeout: 30, triggers: [{ http: 'GET /forged' }] },
      leak: { handler: 'src/leak.ts', memory: 128, triggers: [{ http: 'GET /leak' }] },
      ok: { handler: 'src/ok.ts', triggers: [{ http: 'GET /ok' }] },
    };
    for (let i = 1; i <= 4; i++) functions[`pin${i}`] = { handler: 'src/pin.ts', timeout: 60, triggers: [{ http: `GET /pin${i}` }] };
    await n.deploy({
      'nimbus.yaml': manifest('hostile', functions),
      'src/forged.ts': FORGED_READY,
      'src/leak.ts': IDLE_LEAK,
      'src/pin.ts': PINNER,
      'src/ok.ts': 'export default { fetch: () => new Response("still here") };',
    });
  });
  after(() => n?.close());

  it('a forged "ready" is a protocol violation: the instance is killed, the record and the log say so (finding 3)', async () => {
    const res = await n.fetch('/forged');
    const text = await res.text();
    assert.equal(res.status, 502, text);
    assert.doesNotMatch(text, /survived/);
    const rec = await record(res.headers.get('x-nimbus-invocation-id') ?? '');
    assert.equal(rec.errorCode, 'FUNCTION_CRASHED');
    assert.match(rec.errorMessage ?? '', /broke the sandbox protocol and was stopped: the sandbox sent a second "ready" message/);
    await eventually(async () => (await systemLines('forged')).some((l) => l.includes('[nimbus] instance stopped: it broke the sandbox protocol')), 10_000, 'the violation in the log');
    assert.equal(await (await n.fetch('/ok')).text(), 'still here');
  });

  it('an instance that grows memory after answering is stopped while idle, and its log says why (finding 3)', async () => {
    const res = await n.fetch('/leak');
    assert.equal(await res.text(), 'answered');
    const lines = await eventually(
      async () => {
        const sys = await systemLines('leak');
        return sys.some((l) => l.includes('[nimbus] instance stopped: it grew to')) ? sys : undefined;
      },
      15_000,
      'the idle instance to be stopped for its memory',
    );
    assert.match(lines.join('\n'), /with no invocation running, over its memory of 128 MB \(FUNCTION_OOM\)/);
    await eventually(async () => (await n.client.getFunction('hostile', 'leak')).instances.total === 0, 10_000, 'the instance to be gone');
    assert.equal(await (await n.fetch('/ok')).text(), 'still here');
  });

  it("parts of calls that never come cannot pin the server's memory (finding 5)", async (t) => {
    assert.equal(await (await n.fetch('/ok')).text(), 'still here');
    const before = await serverRss();
    const answers = await Promise.all([1, 2, 3, 4].map(async (i) => (await n.fetch(`/pin${i}`)).text()));
    assert.deepEqual(answers, ['pinned', 'pinned', 'pinned', 'pinned']);
    for (let i = 1; i <= 4; i++) assert.equal((await n.client.getFunction('hostile', `pin${i}`)).instances.total, 1, 'the pinners live on');
    const grown = (await serverRss()) - before;
    t.diagnostic(`server RSS grew by ${Math.round(grown / MB)} MB`);
    // Unbounded, the four instances hold 4 × 80 MB of parts (more in RSS); bounded, the node's 16 MB budget.
    assert.ok(grown < 150 * MB, `server RSS grew by ${Math.round(grown / MB)} MB`);
    assert.equal(await (await n.fetch('/ok')).text(), 'still here');
  });
});

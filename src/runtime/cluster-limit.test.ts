/**
 * A function's `concurrency` across nodes: several Runtimes ("nodes") with fake sandboxes, each
 * behind a LeasedGate on one shared in-memory slot table. The limit holds cluster-wide, requests
 * over the slots a node can get are throttled (sync) or stay queued (events), and idle slots go
 * back to the cluster. Fake clock; nothing sleeps.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FunctionConfig, FunctionVersion } from '../domain/index.js';
import { withConfigDefaults } from '../domain/index.js';
import { FakeClock } from '../shared/clock.js';
import { LeasedGate } from './concurrency-gate.js';
import { FakeSandboxes } from './fake-transport.js';
import { MemorySlotTable } from './memory-slots.js';
import { Runtime, type InvocationOutcome } from './runtime.js';

function version(over: Partial<FunctionConfig> = {}): FunctionVersion {
  const config = withConfigDefaults({ handler: { file: 'src/x.ts', export: null }, ...over });
  return { app: 'shop', name: 'fn', version: 1, hash: 'h1', codeHash: 'c', codeSize: 1, config, createdAt: 0 };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

function cluster(n: number, batch = 0) {
  const clock = new FakeClock(1_000_000);
  const table = new MemorySlotTable(clock);
  let seq = 0;
  const nodes = Array.from({ length: n }, (_, i) => {
    const pool = new FakeSandboxes();
    pool.ready = 100;
    const gate = new LeasedGate({ leases: table.node(`n${i}`), clock, renewMs: 0, batch });
    const runtime = new Runtime({
      pool,
      loadCode: async () => 'export default {}',
      maxInstances: 100,
      clock,
      tickMs: 0,
      scaling: { floor: 4, sendAhead: 0 },
      onRecord: () => {},
      onLog: () => {},
      concurrencyGate: gate,
    });
    const invoke = (fn: FunctionVersion) =>
      runtime.invoke(
        fn,
        { kind: 'http', req: { method: 'GET', path: '/', query: '', headers: {}, body: null, b64: false, params: {}, route: 'GET /', ip: '' } },
        { id: `r${++seq}`, trigger: 'http', startedAt: 0 },
      );
    /** Invocations running on this node now. */
    const running = () => pool.all.reduce((s, p) => s + p.open.length, 0);
    const answerAll = () => {
      for (const p of pool.all) for (const id of p.open) p.answer(id, { ms: 100, cpu: 1 });
    };
    return { pool, gate, runtime, invoke, running, answerAll };
  });
  return { clock, table, nodes };
}

const codes = (outcomes: InvocationOutcome[]) => outcomes.map((o) => (o.ok ? 'ok' : o.error.code));

describe('runtime: concurrency across nodes', () => {
  it('with one slot left in the cluster, a second concurrent request is throttled, and a third at once', async () => {
    const { table, nodes } = cluster(2);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const fn = version({ concurrency: 2 });
    a.runtime.activate(fn);
    b.runtime.activate(fn);
    const onB = b.invoke(fn);
    await flush();
    assert.equal(b.running(), 1);
    const first = a.invoke(fn);
    const second = a.invoke(fn);
    await flush();
    assert.equal(a.running(), 1, 'the one slot left runs one request');
    assert.equal(table.total('shop', 'fn'), 2);
    const asks = table.acquires;
    const third = a.invoke(fn);
    await flush();
    assert.equal(table.acquires, asks, 'the cluster was just found full: no round trip');
    b.answerAll();
    a.answerAll();
    assert.deepEqual(codes(await Promise.all([onB, first, second, third])), ['ok', 'ok', 'THROTTLED', 'THROTTLED']);
    const err = (await second) as Extract<InvocationOutcome, { ok: false }>;
    assert.match(err.error.message, /across the cluster/);
  });

  it('a request waits for the slot its node asks for, and runs once it comes', async () => {
    const { nodes } = cluster(1);
    const a = nodes[0]!;
    const fn = version({ concurrency: 1 });
    a.runtime.activate(fn);
    const p = a.invoke(fn);
    assert.equal(a.running(), 0, 'no slot held yet: the request waits for the ask');
    await flush();
    assert.equal(a.running(), 1);
    a.answerAll();
    assert.equal((await p).ok, true);
  });

  it('never runs more than N instances over all nodes under a storm of requests', async () => {
    const { table, nodes } = cluster(3, 1);
    const fn = version({ concurrency: 3 });
    for (const n of nodes) n.runtime.activate(fn);
    for (let round = 0; round < 4; round++) {
      const all = nodes.flatMap((n) => Array.from({ length: 6 }, () => n.invoke(fn)));
      await flush();
      const running = nodes.reduce((s, n) => s + n.running(), 0);
      assert.ok(running <= 3, `round ${round}: ${running} running at once`);
      assert.ok(table.total('shop', 'fn') <= 3);
      for (const n of nodes) n.answerAll();
      await flush();
      for (const n of nodes) n.answerAll();
      const out = codes(await Promise.all(all));
      assert.ok(out.every((c) => c === 'ok' || c === 'THROTTLED'));
      assert.ok(out.includes('ok'));
    }
  });

  it('an idle instance gives its slot back, so another node can run', async () => {
    const { clock, table, nodes } = cluster(2);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const fn = version({ concurrency: 1 });
    a.runtime.activate(fn);
    b.runtime.activate(fn);
    const p = a.invoke(fn);
    await flush();
    a.answerAll();
    assert.equal((await p).ok, true);
    assert.equal(codes([await b.invoke(fn)])[0], 'THROTTLED', "a's instance holds the only slot");
    clock.advance(1000);
    a.runtime.tick(); // the idle instance stops
    await flush();
    a.runtime.tick(); // its slot is surplus from now on
    clock.advance(1000);
    a.runtime.tick(); // and goes back
    await flush();
    assert.equal(table.total('shop', 'fn'), 0);
    clock.advance(500); // b's refusal has expired
    const q = b.invoke(fn);
    await flush();
    assert.equal(b.running(), 1);
    b.answerAll();
    assert.equal((await q).ok, true);
  });

  it('a function removed from the node gives its slots back once its instances are gone', async () => {
    const { table, nodes } = cluster(1, 1);
    const a = nodes[0]!;
    const fn = version({ concurrency: 3 });
    a.runtime.activate(fn);
    const p = a.invoke(fn);
    await flush();
    a.answerAll();
    assert.equal((await p).ok, true);
    assert.equal(table.total('shop', 'fn'), 2, 'one slot used, one batched');
    a.runtime.deactivate('shop', 'fn');
    await flush();
    assert.equal(table.total('shop', 'fn'), 0);
  });

  it('functions without a concurrency limit never touch the slot table', async () => {
    const { table, nodes } = cluster(1);
    const a = nodes[0]!;
    const fn = version();
    a.runtime.activate(fn);
    const p = a.invoke(fn);
    await flush();
    a.answerAll();
    assert.equal((await p).ok, true);
    a.runtime.tick();
    assert.equal(table.acquires, 0);
    assert.equal(table.rows.size, 0);
  });

  it('an event over the slots stays queued (hasCapacity is false) until its node got a slot', async () => {
    const { nodes } = cluster(1);
    const a = nodes[0]!;
    const fn = version({ concurrency: 1 });
    a.runtime.activate(fn);
    assert.equal(a.runtime.hasCapacity(fn), false);
    await flush();
    assert.equal(a.runtime.hasCapacity(fn), true);
  });
});

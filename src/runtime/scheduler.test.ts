/**
 * The scheduler (Runtime) with fake sandboxes and a fake clock: queue order, scaling out on
 * waiting instances and not on busy ones, exact limits, queue deadlines, cancellation, scale-in.
 * No process is started and nothing sleeps in real time.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FunctionConfig, FunctionVersion, InvocationRecord } from '../domain/index.js';
import { withConfigDefaults } from '../domain/index.js';
import { FakeClock } from '../shared/clock.js';
import { FakeSandboxes, type FakeTransport } from './fake-transport.js';
import { Runtime, type Cancellation, type InvocationOutcome } from './runtime.js';

function version(over: Partial<FunctionConfig> = {}, v = 1): FunctionVersion {
  const config = withConfigDefaults({ handler: { file: 'src/x.ts', export: null }, ...over });
  return { app: 'shop', name: 'fn', version: v, hash: `h${v}`, codeHash: 'c', codeSize: 1, config, createdAt: 0 };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

function setup(o: { maxInstances?: number; floor?: number; ready?: number; sendAhead?: number } = {}) {
  const clock = new FakeClock(1_000_000);
  const pool = new FakeSandboxes();
  pool.ready = o.ready ?? 0;
  const records: InvocationRecord[] = [];
  const runtime = new Runtime({
    pool,
    loadCode: async () => 'export default {}',
    maxInstances: o.maxInstances ?? 100,
    clock,
    tickMs: 0,
    // Queue tests keep every waiting request in the host's queue; the send-ahead test turns it on.
    scaling: { floor: o.floor ?? 2, sendAhead: o.sendAhead ?? 0 },
    onRecord: (r) => records.push(r),
    onLog: () => {},
  });
  let n = 0;
  const invoke = (fn: FunctionVersion, cancel?: Cancellation) =>
    runtime.invoke(
      fn,
      { kind: 'http', req: { method: 'GET', path: '/', query: '', headers: {}, body: null, b64: false, params: {}, route: 'GET /', ip: '' } },
      { id: `r${++n}`, trigger: 'http', startedAt: 0, ...(cancel ? { cancel } : {}) },
    );
  /** Which fake process each open invocation went to. */
  const where = () => pool.all.flatMap((p) => p.open.map((id) => [id, p] as const));
  const procOf = (id: string): FakeTransport | undefined => where().find(([i]) => i === id)?.[1];
  /** Run `n` invocations one after another on the first instance, answered with `timing`, so the scheduler knows the function. */
  const warm = async (fn: FunctionVersion, n = 4, timing: { ms?: number; cpu?: number } = {}) => {
    for (let i = 0; i < n; i++) {
      const p = invoke(fn);
      await flush();
      const [id, proc] = where()[0]!;
      proc.answer(id, timing);
      await p;
    }
  };
  return { clock, pool, runtime, records, invoke, procOf, where, warm };
}

/** Resolved outcomes so far, by request id. */
function track(promises: Promise<InvocationOutcome>[]): Map<number, InvocationOutcome> {
  const done = new Map<number, InvocationOutcome>();
  promises.forEach((p, i) => void p.then((o) => done.set(i, o)));
  return done;
}

describe('scheduler: the wait queue', () => {
  it('gives a waiting request the first slot that frees up, in arrival order, without a new process for a fast function', async () => {
    const t = setup({ floor: 1, ready: 1 });
    const fn = version();
    t.runtime.activate(fn);
    const first = t.invoke(fn);
    await flush();
    const proc = t.pool.all[0]!;
    assert.deepEqual(proc.open, ['r1'], 'the cold request rode on the start');
    proc.answer('r1');
    assert.equal((await first).ok, true);
    // Now the function is known to be fast (CPU-bound answers): the floor of 1 instance holds.
    await t.warm(fn, 3);
    const rest = [t.invoke(fn), t.invoke(fn), t.invoke(fn)];
    const done = track(rest);
    await flush();
    assert.deepEqual(proc.open, ['r5'], 'one runs, two wait');
    assert.equal(t.pool.all.length, 1);
    assert.equal(t.pool.pending, 0, 'no process was asked for');
    proc.answer('r5');
    await flush();
    assert.deepEqual(proc.open, ['r6'], 'the oldest waiter goes next');
    proc.answer('r6');
    await flush();
    proc.answer('r7');
    await flush();
    assert.deepEqual(
      [...done.values()].map((o) => o.ok),
      [true, true, true],
    );
    assert.deepEqual(
      t.records.map((r) => r.coldStart),
      [true, false, false, false, false, false, false],
    );
  });

  it('scales out to the demand when instances wait rather than compute', async () => {
    const t = setup({ floor: 1, ready: 1 });
    const fn = version();
    t.runtime.activate(fn);
    // Answers that spent all their time waiting (the host's own clock bounds what a sandbox may claim).
    await t.warm(fn, 4, { ms: 100, cpu: 0 });
    const burst = Array.from({ length: 10 }, () => t.invoke(fn));
    await flush();
    assert.equal(t.pool.pending, 9, 'one instance runs, a process is asked for every other waiter');
    t.pool.deliver(9);
    await flush();
    await flush();
    assert.equal(t.pool.all.length, 10);
    for (const p of t.pool.all) assert.equal(p.open.length, 1, 'each instance runs one request');
    for (const p of t.pool.all) p.answerAllAsWaiting(100);
    assert.equal(
      (await Promise.all(burst)).every((o) => o.ok),
      true,
    );
  });

  it('a burst of first calls asks for processes, then withdraws them once answers show a fast function', async () => {
    const t = setup({ floor: 2, ready: 1 });
    const fn = version();
    t.runtime.activate(fn);
    const burst = Array.from({ length: 20 }, () => t.invoke(fn));
    await flush();
    // Nothing is known yet: treat the function as one that waits.
    assert.equal(t.pool.pending, 19);
    t.pool.deliver(1);
    await flush();
    await flush();
    // A few rounds of fast answers (an instance's first one does not count).
    for (let i = 0; i < 3; i++) {
      for (const p of t.pool.all) for (const id of p.open) p.answer(id);
      await flush();
    }
    t.runtime.tick();
    assert.ok(t.pool.cancelled >= 16, `acquisitions beyond the floor were withdrawn (${t.pool.cancelled})`);
    // The two instances serve the rest.
    for (let i = 0; i < 40 && t.where().length > 0; i++) {
      for (const [id, p] of t.where()) p.answer(id);
      await flush();
    }
    assert.equal(
      (await Promise.all(burst)).every((o) => o.ok),
      true,
    );
    assert.equal(t.pool.all.length, 2);
  });
});

describe('scheduler: sending ahead', () => {
  it('sends up to 4 invocations ahead to a busy instance of a fast function; those that never started run elsewhere if it dies', async () => {
    const t = setup({ floor: 1, ready: 2, sendAhead: 4 });
    const fn = version();
    t.runtime.activate(fn);
    await t.warm(fn);
    const proc = t.pool.all[0]!;
    const all = Array.from({ length: 7 }, () => t.invoke(fn));
    const done = track(all);
    await flush();
    assert.deepEqual(proc.open, ['r5', 'r6', 'r7', 'r8', 'r9'], 'one runs, four wait inside, two wait in the queue');
    proc.answer('r5');
    await flush();
    assert.deepEqual(proc.open, ['r6', 'r7', 'r8', 'r9', 'r10'], 'the queue refills the instance in order');
    // r6 is running, r7.. wait inside: the process dies.
    proc.kill('protocol');
    await flush();
    await flush();
    const other = t.pool.all[1]!;
    assert.deepEqual(other.open.sort(), ['r10', 'r11', 'r7', 'r8', 'r9'].sort(), 'the ones that never started moved to another instance');
    for (let i = 0; i < 10 && t.where().length > 0; i++) {
      for (const [id, p] of t.where()) p.answer(id);
      await flush();
    }
    await Promise.all(all);
    const failed = [...done.entries()].filter(([, o]) => !o.ok).map(([i]) => `r${i + 5}`);
    assert.deepEqual(failed, ['r6'], 'only the one that was running failed');
  });
});

describe('scheduler: limits', () => {
  it('throttles exactly the excess over `concurrency`, at once, with a record each', async () => {
    const t = setup({ ready: 10 });
    const fn = version({ concurrency: 2 });
    t.runtime.activate(fn);
    const all = Array.from({ length: 5 }, () => t.invoke(fn));
    const done = track(all);
    await flush();
    assert.deepEqual(
      [...done.values()].map((o) => !o.ok && o.error.code),
      ['THROTTLED', 'THROTTLED', 'THROTTLED'],
    );
    assert.equal(t.pool.all.length, 2);
    for (const [id, p] of t.where()) p.answer(id);
    const outcomes = await Promise.all(all);
    assert.equal(outcomes.filter((o) => o.ok).length, 2);
    assert.deepEqual(t.records.map((r) => r.status).sort(), ['ok', 'ok', 'throttled', 'throttled', 'throttled']);
  });

  it('throttles at the node limit unless an idle instance of another function gives way', async () => {
    const t = setup({ ready: 10, maxInstances: 2 });
    const a = version();
    const b = { ...version(), name: 'other' };
    t.runtime.activate(a);
    t.runtime.activate(b);
    const x = [t.invoke(a), t.invoke(b), t.invoke(a)];
    const done = track(x);
    await flush();
    assert.equal(done.size, 1);
    assert.equal(done.get(2)?.ok, false);
    for (const [id, p] of t.where()) p.answer(id);
    await Promise.all(x);
    // b's instance is idle now: a's next start may take its place.
    const y = [t.invoke(a), t.invoke(a)];
    await flush();
    assert.equal(t.runtime.stats('shop', 'other').idle, 0, "b's idle instance gave way");
    for (const [id, p] of t.where()) p.answer(id);
    assert.deepEqual(
      (await Promise.all(y)).map((o) => o.ok),
      [true, true],
    );
  });
});

describe('scheduler: queue deadlines and cancellation', () => {
  it('answers THROTTLED once maxQueueWait has passed with every instance busy and nothing starting', async () => {
    const t = setup({ floor: 1, ready: 1 });
    const fn = version({ maxQueueWait: 0.5 });
    t.runtime.activate(fn);
    await t.warm(fn);
    const busy = t.invoke(fn);
    const queued = t.invoke(fn);
    const done = track([queued]);
    await flush();
    t.clock.advance(400);
    t.runtime.tick();
    await flush();
    assert.equal(done.size, 0, 'still waiting before its deadline');
    t.clock.advance(200);
    t.runtime.tick();
    await flush();
    const o = done.get(0);
    assert.ok(o && !o.ok);
    assert.equal(o.error.code, 'THROTTLED');
    assert.equal(o.record.status, 'throttled');
    t.pool.all[0]!.answer('r5');
    assert.equal((await busy).ok, true);
  });

  it('keeps a waiter that an instance is starting for past maxQueueWait', async () => {
    const t = setup({ ready: 0 });
    const fn = version({ maxQueueWait: 0.1 });
    t.runtime.activate(fn);
    const p = t.invoke(fn);
    const done = track([p]);
    await flush();
    assert.equal(t.pool.pending, 1);
    t.clock.advance(5000);
    t.runtime.tick();
    await flush();
    assert.equal(done.size, 0, 'a cold start is waited for');
    t.pool.deliver();
    await flush();
    await flush();
    t.pool.all[0]!.answer('r1');
    const o = await p;
    assert.equal(o.ok, true);
    assert.equal(o.record.coldStart, true);
  });

  it('drops a waiter whose client went away: CLIENT_CLOSED, a cancelled record, never sent to an instance', async () => {
    const t = setup({ floor: 1, ready: 1 });
    const fn = version();
    t.runtime.activate(fn);
    await t.warm(fn);
    const busy = t.invoke(fn);
    let aborted = false;
    let goneAway = () => {};
    const cancel: Cancellation = {
      get aborted() {
        return aborted;
      },
      watch: (onAbort) => {
        goneAway = onAbort;
        return () => (goneAway = () => {});
      },
    };
    const gone = t.invoke(fn, cancel);
    await flush();
    aborted = true;
    goneAway();
    const o = await gone;
    assert.ok(!o.ok);
    assert.equal(o.error.code, 'CLIENT_CLOSED');
    assert.equal(o.record.status, 'cancelled');
    t.pool.all[0]!.answer('r5');
    await busy;
    await flush();
    assert.deepEqual(t.pool.all[0]!.open, [], 'the cancelled request never reached the instance');
    assert.equal(t.pool.all[0]!.sent.filter((m) => m.t === 'http').length, 5);
  });
});

describe('scheduler: scale-in and versions', () => {
  it('retires idle extras once the stable window no longer needs them, keeping minInstances', async () => {
    const t = setup({ floor: 1, ready: 10 });
    const fn = version({ minInstances: 1, idleTimeout: 300 });
    t.runtime.activate(fn);
    const burst = Array.from({ length: 6 }, () => t.invoke(fn));
    await flush();
    await flush();
    for (const [id, p] of t.where()) p.answer(id, { ms: 100, cpu: 0 });
    await Promise.all(burst);
    const total = () => t.runtime.stats('shop', 'fn').total;
    const before = total();
    assert.ok(before >= 6, `scaled out to ${before}`);
    for (let i = 0; i < 120; i++) {
      t.clock.advance(100);
      t.runtime.tick();
    }
    await flush();
    assert.equal(total(), 1, 'only the minInstances one is left, long before idleTimeout');
  });

  it('moves queued requests to a newly activated version', async () => {
    const t = setup({ floor: 1, ready: 3 });
    const v1 = version({}, 1);
    t.runtime.activate(v1);
    await t.warm(v1);
    const busy = t.invoke(v1);
    const queued = t.invoke(v1);
    await flush();
    const v2 = version({}, 2);
    t.runtime.activate(v2);
    await flush();
    await flush();
    const proc = t.procOf('r6');
    assert.ok(proc && proc !== t.pool.all[0], 'the queued request runs on a v2 instance');
    proc.answer('r6');
    assert.equal((await queued).record.version, 2);
    t.pool.all[0]!.answer('r5');
    assert.equal((await busy).record.version, 1);
  });

  it('gives a deprioritised instance its priority back when it goes idle', async () => {
    const t = setup({ ready: 1 });
    const fn = version({ timeout: 10 });
    t.runtime.activate(fn);
    const p = t.invoke(fn);
    await flush();
    const proc = t.pool.all[0]!;
    proc.deprioritize();
    proc.answer('r1');
    await p;
    assert.equal(proc.reprioritized, 1);
  });
});

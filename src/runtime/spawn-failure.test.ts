import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FunctionConfig, FunctionVersion } from '../domain/index.js';
import { withConfigDefaults } from '../domain/index.js';
import { FakeClock } from '../shared/clock.js';
import { FakeSandboxes } from './fake-transport.js';
import { Runtime } from './runtime.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

function version(over: Partial<FunctionConfig> = {}): FunctionVersion {
  const config = withConfigDefaults({ handler: { file: 'src/x.ts', export: null }, ...over });
  return { app: 'shop', name: 'fn', version: 1, hash: 'h1', codeHash: 'c', codeSize: 1, config, createdAt: 0 };
}

function setup() {
  const clock = new FakeClock(1_000_000);
  const pool = new FakeSandboxes();
  const logs: string[] = [];
  const runtime = new Runtime({ pool, loadCode: async () => 'export default {}', maxInstances: 10, clock, tickMs: 0, onRecord: () => {}, onLog: () => {}, log: (l) => logs.push(l) });
  let n = 0;
  const invoke = (fn: FunctionVersion) =>
    runtime.invoke(
      fn,
      { kind: 'http', req: { method: 'GET', path: '/', query: '', headers: {}, body: null, b64: false, params: {}, route: 'GET /', ip: '' } },
      { id: `r${++n}`, trigger: 'http', startedAt: 0 },
    );
  return { clock, pool, runtime, invoke, logs };
}

describe('runtime: spawn failures (EMFILE) are answered and backed off, never fatal', () => {
  it('answers the waiting request 503 SPAWN_FAILED, refuses new starts during the back-off, and starts again after it', async () => {
    const t = setup();
    const fn = version();
    t.runtime.activate(fn);
    const first = t.invoke(fn);
    await flush();
    assert.equal(t.pool.pending, 1, 'a process was asked for');
    t.pool.fail();
    const out = await first;
    assert.equal(out.ok, false);
    assert.equal(!out.ok && out.error.code, 'SPAWN_FAILED');
    assert.equal(!out.ok && out.error.status, 503);
    assert.match(t.logs.join('\n'), /EMFILE/);
    const during = await t.invoke(fn);
    assert.equal(!during.ok && during.error.code, 'SPAWN_FAILED', 'refused at once while backing off');
    assert.equal(t.pool.pending, 0, 'no spawn attempted during the back-off');
    t.clock.advance(1000);
    const later = t.invoke(fn);
    await flush();
    assert.equal(t.pool.pending, 1, 'starts again after the back-off');
    t.pool.deliver();
    await flush();
    t.pool.all[0]!.answer('r3');
    assert.equal((await later).ok, true);
    await t.runtime.close(0);
  });

  it('restarts minInstances after a failed spawn only once the back-off is over', async () => {
    const t = setup();
    t.runtime.activate(version({ minInstances: 1 }));
    assert.equal(t.pool.pending, 1);
    t.pool.fail();
    await flush();
    t.runtime.tick();
    assert.equal(t.pool.pending, 0, 'no restart in a hot loop');
    t.clock.advance(150);
    t.runtime.tick();
    assert.equal(t.pool.pending, 1, 'restarted after the back-off');
    await t.runtime.close(0);
  });
});

describe('runtime: a sandbox process that exits before it comes up', () => {
  it("runs the waiting request on another instance: not the function's init error, and no init back-off", async () => {
    const t = setup();
    const onLog: string[] = [];
    const runtime = new Runtime({
      pool: t.pool,
      loadCode: async () => 'export default {}',
      maxInstances: 10,
      clock: t.clock,
      tickMs: 0,
      onRecord: () => {},
      onLog: (l) => onLog.push(`${l.stream}: ${l.line}`),
      log: (l) => t.logs.push(l),
    });
    const fn = version();
    runtime.activate(fn);
    t.pool.booting = 1;
    const out = runtime.invoke(
      fn,
      { kind: 'http', req: { method: 'GET', path: '/', query: '', headers: {}, body: null, b64: false, params: {}, route: 'GET /', ip: '' } },
      { id: 'r1', trigger: 'http', startedAt: 0 },
    );
    await flush();
    t.pool.deliver();
    await flush();
    const [first] = t.pool.all;
    assert.ok(first);
    // bubblewrap's own failure, before node (and the function's code) ever ran in it.
    first.failBoot('bwrap: loopback: Failed RTM_NEWADDR: No child processes\n');
    await flush();
    assert.equal(t.pool.pending, 1, 'another process was asked for');
    t.pool.deliver();
    await flush();
    const second = t.pool.all[1];
    assert.ok(second);
    second.answer('r1');
    const result = await out;
    assert.equal(result.ok, true, `the request is answered by the second process: ${JSON.stringify(result)}`);
    assert.match(onLog.join('\n'), /system: \[nimbus\] the sandbox process exited before it started \(exit code 1: bwrap: loopback: Failed RTM_NEWADDR/);
    assert.match(t.logs.join('\n'), /shop\/fn: the sandbox process exited before it started/);
    await runtime.close(0);
  });

  it('answers 503 SPAWN_FAILED after three processes in a row did not come up, and does not hold it against the function', async () => {
    const t = setup();
    const fn = version();
    t.runtime.activate(fn);
    t.pool.booting = 3;
    const out = t.invoke(fn);
    for (let i = 0; i < 3; i++) {
      await flush();
      t.pool.deliver();
      await flush();
      t.pool.all.at(-1)!.failBoot('bwrap: cannot start\n');
    }
    const failed = await out;
    assert.equal(!failed.ok && failed.error.code, 'SPAWN_FAILED');
    assert.equal(!failed.ok && failed.error.status, 503);
    assert.doesNotMatch(!failed.ok ? failed.error.message : '', /bwrap/, "the launcher's words are the host's, not the caller's");
    // Three failed inits in a row would put the function in a back-off (FUNCTION_INIT_ERROR at once); these were not its.
    const next = t.invoke(fn);
    await flush();
    assert.equal(t.pool.pending, 1, 'a new start is tried at once');
    t.pool.deliver();
    await flush();
    t.pool.all.at(-1)!.answer('r2');
    assert.equal((await next).ok, true);
    await t.runtime.close(0);
  });
});

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

/**
 * Versions besides the active one that take traffic (aliases, a canary's new version): they run
 * the requests routed to them, keep their instances when another version is activated, and drain
 * once they no longer take traffic. Fake sandboxes, no process started.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FunctionVersion, InvocationRecord } from '../domain/index.js';
import { withConfigDefaults } from '../domain/index.js';
import { FakeClock } from '../shared/clock.js';
import { FakeSandboxes } from './fake-transport.js';
import { Runtime } from './runtime.js';

const version = (v: number): FunctionVersion => ({
  app: 'shop',
  name: 'fn',
  version: v,
  hash: `h${v}`,
  codeHash: 'c',
  codeSize: 1,
  config: withConfigDefaults({ handler: { file: 'src/x.ts', export: null } }),
  createdAt: 0,
});
const flush = () => new Promise<void>((r) => setImmediate(r));

function setup() {
  const pool = new FakeSandboxes();
  pool.ready = 10;
  const records: InvocationRecord[] = [];
  const runtime = new Runtime({ pool, loadCode: async () => 'export default {}', maxInstances: 10, clock: new FakeClock(1_000_000), tickMs: 0, onRecord: (r) => records.push(r), onLog: () => {} });
  let n = 0;
  /** Invoke and answer at once; resolves with the version that ran. */
  const run = async (fn: FunctionVersion, pinned = false): Promise<number> => {
    const id = `r${++n}`;
    const p = runtime.invoke(fn, { kind: 'event', event: {} }, { id, trigger: 'api', startedAt: 0, ...(pinned ? { pinned: true } : {}) });
    await flush();
    const proc = pool.all.find((x) => x.open.includes(id));
    assert.ok(proc, 'the invocation reached an instance');
    proc.answer(id);
    return (await p).record.version;
  };
  return { pool, runtime, records, run };
}

describe('runtime: versions that take traffic besides the active one', () => {
  it('runs a request for an alias version on it, not on the active version', async () => {
    const t = setup();
    t.runtime.activate(version(2));
    assert.equal(await t.run(version(1)), 2, 'a version that takes no traffic: the active one runs');
    t.runtime.serveAlso('shop', 'fn', [version(1)]);
    assert.equal(await t.run(version(1)), 1);
    assert.equal(await t.run(version(2)), 2);
    assert.equal(await t.run(version(5), true), 5, 'a pinned request runs the version it names');
    await t.runtime.close(0);
  });

  it('keeps the alias version’s instances when another version is activated, and drains them once it takes no traffic', async () => {
    const t = setup();
    t.runtime.activate(version(1));
    t.runtime.serveAlso('shop', 'fn', [version(2)]);
    await t.run(version(1));
    await t.run(version(2));
    assert.equal(t.runtime.stats('shop', 'fn').total, 2);
    t.runtime.activate(version(3));
    const alive = t.pool.all.filter((p) => p.isAlive).length;
    assert.equal(alive, 1, 'v1 drained, the alias version v2 stayed');
    assert.equal(await t.run(version(2)), 2);
    t.runtime.serveAlso('shop', 'fn', []);
    await flush();
    assert.equal(t.pool.all.filter((p) => p.isAlive).length, 0, 'v2 drains once no alias names it');
    await t.runtime.close(0);
  });
});

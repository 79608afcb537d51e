/**
 * The runtime's untrusting side, with fake sandboxes and a fake clock: memory watched while idle,
 * minInstances within the node's caps, every output line through the log quotas, and a protocol
 * violation said in the function's log.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FunctionConfig, FunctionVersion, LogLine } from '../domain/index.js';
import { withConfigDefaults } from '../domain/index.js';
import { FakeClock } from '../shared/clock.js';
import { FakeSandboxes } from './fake-transport.js';
import { Runtime, type RuntimeOptions } from './runtime.js';

const MB = 1024 * 1024;
const flush = () => new Promise<void>((r) => setImmediate(r));

function version(app: string, name: string, over: Partial<FunctionConfig> = {}): FunctionVersion {
  const config = withConfigDefaults({ handler: { file: 'src/x.ts', export: null }, ...over });
  return { app, name, version: 1, hash: 'h1', codeHash: 'c', codeSize: 1, config, createdAt: 0 };
}

function setup(over: Partial<RuntimeOptions> = {}) {
  const clock = new FakeClock(1_000_000);
  const pool = new FakeSandboxes();
  pool.ready = 1000;
  const logs: LogLine[] = [];
  const runtime = new Runtime({ pool, loadCode: async () => 'export default {}', maxInstances: 8, clock, tickMs: 0, onRecord: () => {}, onLog: (l) => logs.push(l), ...over });
  let n = 0;
  const invoke = (fn: FunctionVersion) =>
    runtime.invoke(
      fn,
      { kind: 'http', req: { method: 'GET', path: '/', query: '', headers: {}, body: null, b64: false, params: {}, route: 'GET /', ip: '' } },
      { id: `r${++n}`, trigger: 'http', startedAt: 0 },
    );
  return { clock, pool, runtime, logs, invoke };
}

describe('Runtime: an untrusting host side', () => {
  it('stops an idle instance whose memory grew past its limit after it answered, and says why', async () => {
    const { pool, runtime, logs, invoke } = setup();
    const fn = version('shop', 'leaky', { memory: 128 });
    runtime.activate(fn);
    const done = invoke(fn);
    await flush();
    const proc = pool.all[0]!;
    proc.answer(proc.open[0]!);
    assert.equal((await done).ok, true);
    assert.equal(runtime.stats('shop', 'leaky').idle, 1);
    proc.memory = 1800 * MB; // Buffers grown in timers after the response
    runtime.tick();
    assert.equal(proc.isAlive, false);
    assert.match(logs.map((l) => l.line).join('\n'), /\[nimbus\] instance stopped: it grew to 1800 MB with no invocation running, over its memory of 128 MB/);
  });

  it('never lets minInstances fill the node: one app keeps at most a quarter, and another app is served', async () => {
    const { pool, runtime, invoke } = setup({ maxInstances: 8 });
    const greedy = version('greedy', 'warm', { minInstances: 100000 });
    runtime.activate(greedy);
    await flush();
    assert.equal(pool.all.length, 2, 'a quarter of 8');
    const other = version('other', 'fn');
    runtime.activate(other);
    const out = invoke(other);
    await flush();
    const proc = pool.all.at(-1)!;
    proc.answer(proc.open[0]!);
    assert.equal((await out).ok, true);
  });

  it('keeps all apps together within half the node', async () => {
    const { pool, runtime } = setup({ maxInstances: 8, minInstancesPerApp: 3 });
    for (const app of ['a', 'b', 'c']) runtime.activate(version(app, 'warm', { minInstances: 3 }));
    await flush();
    assert.equal(pool.all.length, 4);
  });

  it('passes every output line through the log quotas (pipes and fd-3 messages alike)', async () => {
    const { pool, runtime, logs, invoke } = setup({ logQuota: { linesPerSecond: 10 } });
    const fn = version('shop', 'chatty');
    runtime.activate(fn);
    const done = invoke(fn);
    await flush();
    const proc = pool.all[0]!;
    for (let i = 0; i < 20; i++) proc.onMessage({ t: 'log', id: proc.open[0]!, s: 1, line: 'x'.repeat(100_000) });
    for (let i = 0; i < 20; i++) proc.onOutput('stderr', 'raw');
    proc.answer(proc.open[0]!);
    await done;
    const own = logs.filter((l) => l.stream !== 'system');
    assert.equal(own.length, 10);
    assert.ok(own.every((l) => l.line.length <= 16 * 1024 + 20));
    assert.equal(logs.filter((l) => l.line.startsWith('[nimbus] log truncated')).length, 1);
  });

  it('says in the function log that an instance broke the protocol', async () => {
    const { pool, runtime, logs, invoke } = setup();
    const fn = version('shop', 'forger');
    runtime.activate(fn);
    const done = invoke(fn);
    await flush();
    pool.all[0]!.exitWith({ violation: 'the sandbox sent a second "ready" message' });
    const out = await done;
    assert.equal(out.ok, false);
    assert.equal(out.record.errorCode, 'FUNCTION_CRASHED');
    assert.match(out.record.errorMessage ?? '', /broke the sandbox protocol and was stopped: the sandbox sent a second "ready"/);
    await flush();
    assert.ok(logs.some((l) => l.stream === 'system' && /\[nimbus\] instance stopped: it broke the sandbox protocol/.test(l.line)));
  });
});

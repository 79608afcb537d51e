import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FakeClock } from '../shared/clock.js';
import { FakeTransport } from './fake-transport.js';
import { WarmPool } from './pool.js';
import { SpawnBudget } from './spawn-budget.js';

const flush = () => new Promise<void>((r) => setImmediate(r));
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await flush();
  assert.ok(cond());
};

/** Processes that become ready when the test says so. */
function spawner() {
  const started: { proc: FakeTransport; up(): void }[] = [];
  const spawn = (memoryMb: number) => {
    let up!: () => void;
    const proc = new FakeTransport(memoryMb, new Promise<void>((r) => (up = r)));
    started.push({ proc, up });
    return proc;
  };
  return { started, spawn };
}

describe('WarmPool', () => {
  it('fills to its size through the budget, and grows after running dry', async () => {
    const s = spawner();
    const clock = new FakeClock(0);
    const pool = new WarmPool({ spawn: s.spawn, budget: new SpawnBudget(2), clock, size: 2, refillDelayMs: 0, shrinkAfterMs: 30_000 });
    pool.want(128);
    await until(() => s.started.length === 2);
    for (const x of s.started) x.up();
    await until(() => pool.stats()[128] === 2);
    assert.ok(pool.take(128));
    assert.ok(pool.take(128));
    assert.equal(pool.take(128), undefined, 'dry');
    assert.equal(pool.target(128), 3, 'the target grew by one');
    await until(() => s.started.length === 4);
    assert.equal(s.started.length, 4, 'never more than the budget at once');
    for (const x of s.started) x.up();
    await until(() => s.started.length === 5);
    s.started[4]!.up();
    await until(() => pool.stats()[128] === 3);
    clock.advance(30_000);
    pool.tick();
    assert.equal(pool.target(128), 2, 'back towards its size after a quiet while');
    assert.equal(pool.stats()[128], 2);
    await pool.close();
  });

  it('acquire hands over the first refill that finishes instead of spawning another', async () => {
    const s = spawner();
    const budget = new SpawnBudget(1);
    const pool = new WarmPool({ spawn: s.spawn, budget, clock: new FakeClock(0), size: 1, refillDelayMs: 0 });
    pool.want(128);
    await until(() => s.started.length === 1);
    const acq = pool.acquire(128);
    s.started[0]!.up();
    const proc = await acq.process;
    assert.equal(proc, s.started[0]!.proc);
    await flush();
    assert.equal(budget.queued('instance'), 0, "the acquisition's own spawn request was withdrawn");
    await pool.close();
  });

  it('survives spawns that throw (EMFILE): acquire says why, refills back off and resume', async () => {
    const s = spawner();
    let broken = true;
    let attempts = 0;
    const spawn = (memoryMb: number) => {
      attempts++;
      if (broken) throw new Error('spawn EMFILE');
      return s.spawn(memoryMb);
    };
    const clock = new FakeClock(0);
    const pool = new WarmPool({ spawn, budget: new SpawnBudget(2), clock, size: 1, refillDelayMs: 0 });
    pool.want(128);
    await until(() => attempts >= 1);
    const acq = pool.acquire(128);
    assert.equal(await acq.process, undefined);
    assert.match(acq.error?.message ?? '', /EMFILE/);
    const tried = attempts;
    for (let i = 0; i < 20; i++) await flush();
    pool.tick();
    for (let i = 0; i < 20; i++) await flush();
    assert.equal(attempts, tried, 'no retry before the back-off is over');
    broken = false;
    clock.advance(60_000);
    pool.tick();
    await until(() => s.started.length === 1);
    s.started[0]!.up();
    await until(() => pool.stats()[128] === 1);
    await pool.close();
  });
});

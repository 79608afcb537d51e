import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../shared/clock.js';
import { Cgroups } from './cgroups.js';
import { IdleGovernor } from './idle.js';
import { ownerAlive, ownerId } from './owner.js';
import { UidRange } from './uid-range.js';

describe('UidRange', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'nimbus-uids-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const opts = (owner: string, alive: string[] = []) => ({ dir, base: 1000, size: 10, ranges: 3, owner, isAlive: (o: string) => alive.includes(o) || o === owner });

  it('gives two live nodes disjoint ranges', () => {
    const a = UidRange.claim(opts('1-1', ['2-2']));
    const b = UidRange.claim(opts('2-2', ['1-1']));
    assert.equal(a.first, 1000);
    assert.equal(b.first, 1010);
    assert.equal(readFileSync(a.file, 'utf8').trim(), '1-1');
  });

  it("reclaims the range of a dead node, not a live one's", () => {
    writeFileSync(join(dir, 'range-0.lock'), '9-9\n');
    writeFileSync(join(dir, 'range-1.lock'), '8-8\n');
    const r = UidRange.claim(opts('1-1', ['8-8']));
    assert.equal(r.first, 1000, "the dead node's range 0 is reclaimed");
    assert.equal(readFileSync(join(dir, 'range-1.lock'), 'utf8').trim(), '8-8');
  });

  it('refuses with ISOLATION_UNAVAILABLE when every range is held by a live node', () => {
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `range-${i}.lock`), `${i}-0\n`);
    assert.throws(() => UidRange.claim({ ...opts('1-1'), isAlive: () => true }), { code: 'ISOLATION_UNAVAILABLE' });
  });

  it('hands out a released uid only after every fresh one, oldest release first', () => {
    const r = UidRange.claim(opts('1-1'));
    const a = r.acquire();
    const b = r.acquire();
    r.release(a);
    r.release(b);
    for (let i = 2; i < 10; i++) assert.equal(r.acquire(), 1000 + i);
    assert.equal(r.acquire(), a);
    assert.equal(r.acquire(), b);
    assert.throws(() => r.acquire(), { code: 'ISOLATION_UNAVAILABLE' });
    r.close();
  });

  it('tells a live owner from a dead one by pid and start time', () => {
    assert.equal(ownerAlive(ownerId()), true);
    assert.equal(ownerAlive(`${ownerId()}-3`), true, 'a node id of a live process');
    assert.equal(ownerAlive(`${process.pid}-1`), false, 'same pid, other start time: a reused pid');
    assert.equal(ownerAlive('garbage'), false);
  });
});

describe('IdleGovernor', () => {
  it('throttles a group idle past the delay, lifts it at dispatch, and writes nothing for a steady stream', () => {
    const root = mkdtempSync(join(tmpdir(), 'nimbus-idle-'));
    try {
      writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory pids');
      const g = new Cgroups({ root, removeDir: (d) => rmSync(d, { recursive: true }) }).nodeGroup('1-1-1').create({ memoryBytes: 1, pids: 1, cpuWeight: 100 });
      const clock = new FakeClock(0);
      const gov = new IdleGovernor(clock, 200, 0);
      gov.busy(g);
      gov.idle(g);
      clock.advance(100);
      gov.tick();
      assert.equal(g.isIdle, false, 'not yet: a short pause between requests');
      gov.busy(g);
      gov.idle(g);
      clock.advance(250);
      gov.tick();
      assert.equal(g.isIdle, true);
      assert.equal(readFileSync(join(root, g.path, 'cpu.max'), 'utf8'), '5000 100000');
      gov.busy(g);
      assert.equal(g.isIdle, false);
      assert.equal(readFileSync(join(root, g.path, 'cpu.max'), 'utf8'), 'max 100000');
      gov.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Demand, desiredInstances } from './demand.js';

describe('demand signal', () => {
  it('averages concurrency over a panic and a stable window', () => {
    const d = new Demand({ stableMs: 10_000, panicMs: 1000 });
    for (let t = 0; t < 10_000; t += 100) d.sample(t, t < 9000 ? 2 : 40);
    assert.equal(d.panic(9900), 40);
    assert.ok(d.stable(9900) > 2 && d.stable(9900) < 40);
    assert.equal(d.stablePeak(9900), 40);
    for (let t = 10_000; t < 21_000; t += 100) d.sample(t, 0);
    assert.equal(d.stablePeak(20_900), 0, 'old samples leave the window');
  });

  it('measures how much of a slot is spent waiting inside the function', () => {
    const io = new Demand();
    for (let i = 0; i < 20; i++) io.observe(101, 100, 0.2);
    assert.ok(io.waitRatio! > 0.9);
    const cpu = new Demand();
    for (let i = 0; i < 20; i++) cpu.observe(1.2, 0.05, 0.05);
    assert.ok(cpu.waitRatio! < 0.05);
    const jammed = new Demand();
    for (let i = 0; i < 20; i++) jammed.observe(180, 100, 0.5);
    assert.ok(jammed.waitRatio! > 0.9, 'a slow host does not make a sleeper look busy');
    const short = new Demand();
    for (let i = 0; i < 20; i++) short.observe(3, 0.3, 0.1);
    assert.ok(short.waitRatio! < 0.1, 'a short await is judged on the whole slot');
    const liar = new Demand();
    for (let i = 0; i < 3; i++) liar.observe(1, 5000, 0);
    assert.equal(liar.waitRatio, 1, "a sandbox's figures are clamped to what the host saw");
    const young = new Demand();
    young.observe(1, 0.01, 0.01);
    young.observe(1, 0.01, 0.01);
    assert.equal(young.waitRatio, undefined, 'two answers are not enough to judge');
  });

  it('wants one slot per request for waiting functions, the floor for busy ones', () => {
    const base = { concurrency: 50, instanceConcurrency: 1, floor: 4, cpuIdle: true };
    assert.equal(desiredInstances({ ...base, waitRatio: 0.99 }), 50);
    assert.equal(desiredInstances({ ...base, waitRatio: undefined }), 50, 'unknown: as if waiting');
    assert.equal(desiredInstances({ ...base, waitRatio: 0.01 }), 4);
    assert.equal(desiredInstances({ ...base, waitRatio: 0.7, cpuIdle: false }), 4, 'a busy node needs a very high ratio');
    assert.equal(desiredInstances({ ...base, waitRatio: 0.95, cpuIdle: false }), 50);
    assert.equal(desiredInstances({ ...base, instanceConcurrency: 10, waitRatio: 1 }), 5);
    assert.equal(desiredInstances({ ...base, concurrency: 0, waitRatio: 1 }), 0);
  });
});

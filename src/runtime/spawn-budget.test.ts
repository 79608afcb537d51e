import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { SpawnBudget, type Permit } from './spawn-budget.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('SpawnBudget', () => {
  it('runs at most `parallel` starts and grants instance starts before pool refills', async () => {
    const budget = new SpawnBudget(2);
    const order: string[] = [];
    const held: Permit[] = [];
    const ask = (p: 'instance' | 'pool', name: string) => void budget.request(p).granted.then((permit) => (order.push(name), held.push(permit)));
    ask('pool', 'refill-1');
    ask('pool', 'refill-2');
    ask('pool', 'refill-3');
    ask('instance', 'cold-1');
    await flush();
    assert.deepEqual(order, ['refill-1', 'refill-2']);
    assert.equal(budget.inFlight, 2);
    held.shift()!.release();
    await flush();
    assert.deepEqual(order, ['refill-1', 'refill-2', 'cold-1'], 'the waiting instance start jumps the refill queue');
    held.shift()!.release();
    await flush();
    assert.deepEqual(order.at(-1), 'refill-3');
  });

  it('skips withdrawn requests and frees their place', async () => {
    const budget = new SpawnBudget(1);
    const first = budget.tryAcquire();
    assert.ok(first);
    assert.equal(budget.tryAcquire(), undefined);
    const a = budget.request('instance');
    let got = false;
    const b = budget.request('instance');
    void b.granted.then(() => (got = true));
    a.cancel();
    assert.equal(budget.queued(), 1);
    first.release();
    await flush();
    assert.equal(got, true);
  });
});

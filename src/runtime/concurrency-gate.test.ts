/**
 * LeasedGate over the in-memory slot table: batching, the cluster-wide limit across nodes,
 * refusals, surplus release, renewal and expiry. Fake clock; nothing sleeps.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FakeClock } from '../shared/clock.js';
import { LeasedGate } from './concurrency-gate.js';
import { MemorySlotTable } from './memory-slots.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

function cluster(nodes: string[], o: { batch?: number } = {}) {
  const clock = new FakeClock(1_000_000);
  const table = new MemorySlotTable(clock, 8000);
  const changes: string[] = [];
  const gates = nodes.map((id) => {
    const g = new LeasedGate({ leases: table.node(id), clock, renewMs: 0, idleMs: 1000, fullMs: 500, ...(o.batch === undefined ? {} : { batch: o.batch }) });
    g.listen((app, fn) => changes.push(`${id}:${app}/${fn}`));
    return g;
  });
  return { clock, table, gates, changes };
}

describe('concurrency gate: leased slots', () => {
  it('asks for a small batch beyond the need, so the next request costs no round trip', async () => {
    const { table, gates, changes } = cluster(['a']);
    const a = gates[0]!;
    assert.equal(a.limit('shop', 'fn'), 0);
    a.want('shop', 'fn', 5, 1);
    await flush();
    assert.equal(a.limit('shop', 'fn'), 2, 'one needed, one extra');
    assert.deepEqual(changes, ['a:shop/fn']);
    a.want('shop', 'fn', 5, 2);
    await flush();
    assert.equal(table.acquires, 1, 'the second instance was served from the batch');
    a.want('shop', 'fn', 5, 5);
    await flush();
    assert.equal(a.limit('shop', 'fn'), 5, 'never beyond the limit, batch or not');
    assert.equal(table.acquires, 2);
  });

  it('coalesces asks made while one is in flight into one more ask', async () => {
    const { table, gates } = cluster(['a'], { batch: 0 });
    const a = gates[0]!;
    a.want('shop', 'fn', 10, 1);
    a.want('shop', 'fn', 10, 2);
    a.want('shop', 'fn', 10, 3);
    await flush();
    await flush();
    assert.equal(a.limit('shop', 'fn'), 3);
    assert.equal(table.acquires, 2);
  });

  it('never grants more than N across nodes, and a refused node stops asking for a moment', async () => {
    const { clock, table, gates, changes } = cluster(['a', 'b', 'c']);
    const [a, b, c] = gates as [LeasedGate, LeasedGate, LeasedGate];
    a.want('shop', 'fn', 3, 2);
    b.want('shop', 'fn', 3, 2);
    c.want('shop', 'fn', 3, 2);
    await flush();
    const held = [a, b, c].map((g) => g.limit('shop', 'fn'));
    assert.equal(
      held.reduce((x, y) => x + y, 0),
      3,
    );
    assert.equal(table.total('shop', 'fn'), 3);
    assert.equal(c.full('shop', 'fn'), true, 'the last node found the cluster full');
    assert.ok(changes.includes('c:shop/fn'), 'a refusal is an answer too: waiting requests move');
    const before = table.acquires;
    c.want('shop', 'fn', 3, 1);
    await flush();
    assert.equal(table.acquires, before, 'no round trip while full');
    clock.advance(500);
    assert.equal(c.full('shop', 'fn'), false);
  });

  it('gives surplus slots back once unused for a while, and another node gets them', async () => {
    const { clock, table, gates } = cluster(['a', 'b']);
    const [a, b] = gates as [LeasedGate, LeasedGate];
    a.want('shop', 'fn', 3, 3);
    await flush();
    assert.equal(a.limit('shop', 'fn'), 3);
    a.release('shop', 'fn', 1);
    clock.advance(999);
    a.release('shop', 'fn', 1);
    await flush();
    assert.equal(table.total('shop', 'fn'), 3, 'not yet: the surplus is younger than idleMs');
    clock.advance(1);
    a.release('shop', 'fn', 1);
    await flush();
    assert.equal(a.limit('shop', 'fn'), 1);
    b.want('shop', 'fn', 3, 2);
    await flush();
    assert.equal(b.limit('shop', 'fn'), 2);
  });

  it('keeps leases alive by renewing them; a dead node’s slots come back when its lease expires', async () => {
    const { clock, gates } = cluster(['a', 'b']);
    const [a, b] = gates as [LeasedGate, LeasedGate];
    a.want('shop', 'fn', 2, 2);
    await flush();
    clock.advance(5000);
    await a.renew();
    clock.advance(5000);
    b.want('shop', 'fn', 2, 1);
    await flush();
    assert.equal(b.limit('shop', 'fn'), 0, 'renewed: still held by a');
    // a dies: it renews no more.
    clock.advance(8000);
    b.want('shop', 'fn', 2, 1);
    await flush();
    assert.equal(b.limit('shop', 'fn'), 2);
    // a comes back: its lease is gone, not revived.
    await a.renew();
    assert.equal(a.limit('shop', 'fn'), 0);
  });

  it('drops every lease on close', async () => {
    const { table, gates } = cluster(['a', 'b']);
    const [a, b] = gates as [LeasedGate, LeasedGate];
    a.want('shop', 'fn', 2, 2);
    a.want('shop', 'other', 2, 1);
    await flush();
    await a.close();
    assert.equal(table.total('shop', 'fn') + table.total('shop', 'other'), 0);
    b.want('shop', 'fn', 2, 2);
    await flush();
    assert.equal(b.limit('shop', 'fn'), 2);
  });
});

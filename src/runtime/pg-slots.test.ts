/**
 * Concurrency slots in PostgreSQL: three "nodes" (three pools, three PgConcurrencyLeases) on one
 * schema. The sum of unexpired slots never exceeds N under concurrent storms, an expired lease
 * frees its slots for the others and is not revived, release and close give slots back. Time is
 * faked through `now` (the server's clock otherwise).
 */
import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { FakeClock } from '../shared/clock.js';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../pg/testing.js';
import { LeasedGate } from './concurrency-gate.js';
import { PgConcurrencyLeases } from './pg-slots.js';

const target = await pgTestTarget(process.env);

describe('concurrency slots in postgres', { skip: 'skip' in target ? target.skip : false }, () => {
  let db: PgTestSchema;
  const clock = new FakeClock(1_700_000_000_000);
  let nodes: PgConcurrencyLeases[];
  let fnSeq = 0;
  /** A fresh function per test, so tests do not see each other's leases. */
  const fresh = () => `fn${++fnSeq}`;

  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
    const pools = [db.pool, await db.openPool(), await db.openPool()];
    nodes = await Promise.all(pools.map((pool, i) => PgConcurrencyLeases.open({ pool, nodeId: `n${i}`, ttlMs: 8000, now: () => clock.now() })));
  });
  after(async () => db?.drop());

  const sum = async (fn: string) => [...(await nodes[0]!.holders('shop', fn)).values()].reduce((a, b) => a + b, 0);

  it('never grants more than N in total under concurrent acquire storms', async () => {
    const fn = fresh();
    for (let wave = 0; wave < 5; wave++) {
      const asks = nodes.flatMap((n, i) => Array.from({ length: 8 }, (_, j) => n.acquire('shop', fn, 3, 1 + ((i + j + wave) % 3))));
      const granted = await Promise.all(asks);
      assert.ok(
        granted.every((g) => g >= 0 && g <= 3),
        String(granted),
      );
      const total = await sum(fn);
      assert.ok(total <= 3, `wave ${wave}: ${total} slots held`);
      assert.ok(total > 0);
      await Promise.all(nodes.map((n) => n.release('shop', fn, 0)));
    }
  });

  it('holds exactly what the others left, and a release frees slots for another node', async () => {
    const fn = fresh();
    const [a, b, c] = nodes as [PgConcurrencyLeases, PgConcurrencyLeases, PgConcurrencyLeases];
    assert.equal(await a.acquire('shop', fn, 3, 2), 2);
    assert.equal(await b.acquire('shop', fn, 3, 2), 1);
    assert.equal(await c.acquire('shop', fn, 3, 1), 0);
    await a.release('shop', fn, 1);
    assert.equal(await c.acquire('shop', fn, 3, 1), 1);
    await b.release('shop', fn, 0);
    assert.deepEqual(
      [...(await a.holders('shop', fn))],
      [
        ['n0', 1],
        ['n2', 1],
      ],
    );
  });

  it("frees a dead node's slots when its lease expires, and does not revive it", async () => {
    const fn = fresh();
    const [a, b] = nodes as [PgConcurrencyLeases, PgConcurrencyLeases];
    assert.equal(await a.acquire('shop', fn, 3, 3), 3);
    clock.advance(5000);
    assert.ok((await a.renew()).has(`shop/${fn}`), 'renewed while alive');
    clock.advance(5000);
    assert.equal(await b.acquire('shop', fn, 3, 1), 0, 'the renewal kept the slots');
    clock.advance(3001); // a stopped renewing 8 s ago: dead
    assert.equal(await b.acquire('shop', fn, 3, 3), 3);
    assert.equal((await a.renew()).has(`shop/${fn}`), false, 'a late renewal finds its lease gone');
    assert.equal(await sum(fn), 3);
    await b.release('shop', fn, 0);
  });

  it('drops every lease of a node on releaseAll', async () => {
    const fn = fresh();
    const other = fresh();
    const [a, b] = nodes as [PgConcurrencyLeases, PgConcurrencyLeases];
    await a.acquire('shop', fn, 2, 2);
    await a.acquire('shop', other, 2, 1);
    await a.releaseAll();
    assert.equal(await sum(fn), 0);
    assert.equal(await sum(other), 0);
    assert.equal(await b.acquire('shop', fn, 2, 2), 2);
    await b.releaseAll();
  });

  it('keeps the limit through three gates asking at once', async () => {
    const fn = fresh();
    const gates = nodes.map((leases) => new LeasedGate({ leases, clock, renewMs: 0 }));
    const answered = new Promise<void>((resolve) => {
      let n = 0;
      for (const g of gates) g.listen(() => ++n === 3 && resolve());
    });
    for (const g of gates) g.want('shop', fn, 3, 2);
    await answered;
    const held = gates.map((g) => g.limit('shop', fn));
    assert.equal(
      held.reduce((x, y) => x + y, 0),
      3,
      String(held),
    );
    assert.ok(gates.some((g) => g.full('shop', fn)));
    await Promise.all(gates.map((g) => g.close()));
    assert.equal(await sum(fn), 0);
  });
});

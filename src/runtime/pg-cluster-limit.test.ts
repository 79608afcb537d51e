/**
 * The whole stack of a cluster-wide `concurrency`: three Runtimes ("nodes", fake sandboxes), each
 * behind a LeasedGate on its own pool to one PostgreSQL schema. Bursts of requests on every node
 * at once never run more than N invocations in total.
 */
import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import type { FunctionVersion } from '../domain/index.js';
import { withConfigDefaults } from '../domain/index.js';
import { systemClock } from '../shared/clock.js';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../pg/testing.js';
import type { LeasedGate } from './concurrency-gate.js';
import { FakeSandboxes } from './fake-transport.js';
import { openPgConcurrencyGate, PgConcurrencyLeases } from './pg-slots.js';
import { Runtime, type InvocationOutcome } from './runtime.js';

const target = await pgTestTarget(process.env);

/** Wait (on real I/O) until `cond` holds; fails after `tries` turns instead of hanging. */
async function until(cond: () => boolean, what: string, tries = 2000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`never happened: ${what}`);
}

describe('runtime: concurrency across nodes on postgres', { skip: 'skip' in target ? target.skip : false }, () => {
  let db: PgTestSchema;
  let nodes: Array<{ runtime: Runtime; gate: LeasedGate; pool: FakeSandboxes }>;
  let leases: PgConcurrencyLeases;
  const config = withConfigDefaults({ handler: { file: 'src/x.ts', export: null }, concurrency: 3 });
  const fn: FunctionVersion = { app: 'shop', name: 'fn', version: 1, hash: 'h1', codeHash: 'c', codeSize: 1, config, createdAt: 0 };

  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
    const pools = [db.pool, await db.openPool(), await db.openPool()];
    nodes = await Promise.all(
      pools.map(async (pg, i) => {
        if (i === 0) leases = await PgConcurrencyLeases.open({ pool: pg, nodeId: 'observer' });
        const gate = await openPgConcurrencyGate({ pool: pg, nodeId: `n${i}`, clock: systemClock });
        const pool = new FakeSandboxes();
        pool.ready = 100;
        const runtime = new Runtime({ pool, loadCode: async () => '', maxInstances: 100, clock: systemClock, tickMs: 0, onRecord: () => {}, onLog: () => {}, concurrencyGate: gate });
        return { runtime, gate, pool };
      }),
    );
    for (const n of nodes) n.runtime.activate(fn);
  });
  after(async () => {
    for (const n of nodes ?? []) {
      await n.runtime.close(0);
      await n.gate.close();
    }
    await db?.drop();
  });

  it('never runs more than N at once over three nodes under bursts on every node', async () => {
    let seq = 0;
    const running = () => nodes.reduce((s, n) => s + n.pool.all.reduce((t, p) => t + p.open.length, 0), 0);
    for (let round = 0; round < 3; round++) {
      const done = new Set<number>();
      const all: Promise<InvocationOutcome>[] = [];
      for (const n of nodes)
        for (let i = 0; i < 5; i++) {
          const p = n.runtime.invoke(
            fn,
            { kind: 'http', req: { method: 'GET', path: '/', query: '', headers: {}, body: null, b64: false, params: {}, route: 'GET /', ip: '' } },
            { id: `r${++seq}`, trigger: 'http', startedAt: 0 },
          );
          const idx = all.length;
          void p.then(() => done.add(idx));
          all.push(p);
        }
      // Every request either runs or has its answer (throttled) once the gates have answered.
      await until(() => running() + done.size === all.length, `round ${round}: every request placed`);
      assert.ok(running() <= 3, `round ${round}: ${running()} running at once`);
      assert.ok(running() >= 1);
      const held = [...(await leases.holders('shop', 'fn')).values()].reduce((a, b) => a + b, 0);
      assert.ok(held <= 3, `${held} slots leased`);
      for (const n of nodes) for (const p of n.pool.all) for (const id of p.open) p.answer(id, { ms: 100, cpu: 1 });
      const out = await Promise.all(all);
      assert.ok(out.every((o) => o.ok || o.error.code === 'THROTTLED'));
    }
  });
});

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../pg/testing.js';
import { PgScheduleState } from './schedule-state-pg.js';

const target = await pgTestTarget(process.env);

describe('PgScheduleState', { skip: 'skip' in target ? target.skip : false }, () => {
  let db: PgTestSchema;
  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
  });
  after(async () => db?.drop());

  it('reads its own writes at once, and a reopened state (another node) sees them', async () => {
    const a = await PgScheduleState.open({ pool: db.pool });
    a.set('shop/tick', 1_000);
    a.set('shop/tock', 2_000);
    a.set('shop/tick', 3_000);
    assert.equal(a.get('shop/tick'), 3_000);
    a.delete('shop/tock');
    assert.equal(a.get('shop/tock'), undefined);
    await a.close();
    const b = await PgScheduleState.open({ pool: await db.openPool() });
    assert.equal(b.get('shop/tick'), 3_000);
    assert.equal(b.get('shop/tock'), undefined);
    await b.close();
  });

  it('never moves handled_until back: a lagging node keeps the larger value in the database', async () => {
    const [fast, slow] = await Promise.all([PgScheduleState.open({ pool: db.pool }), PgScheduleState.open({ pool: await db.openPool() })]);
    fast.set('blog/cron', 10_000);
    await fast.flush();
    slow.set('blog/cron', 5_000);
    await slow.flush();
    assert.equal(slow.get('blog/cron'), 5_000, 'memory holds what this node set');
    const again = await PgScheduleState.open({ pool: db.pool });
    assert.equal(again.get('blog/cron'), 10_000);
    slow.set('blog/cron', 20_000);
    await slow.close();
    await fast.close();
    assert.equal((await PgScheduleState.open({ pool: db.pool })).get('blog/cron'), 20_000);
  });

  it('two nodes writing many keys at once in different orders both succeed', async () => {
    const [a, b] = await Promise.all([PgScheduleState.open({ pool: db.pool }), PgScheduleState.open({ pool: await db.openPool() })]);
    const keys = Array.from({ length: 200 }, (_, i) => `many/k${i}`);
    for (let round = 1; round <= 5; round++) {
      for (const k of keys) a.set(k, round * 100);
      for (const k of [...keys].reverse()) b.set(k, round * 100 + 1);
      await Promise.all([a.flush(), b.flush()]);
    }
    await Promise.all([a.close(), b.close()]);
    const { rows } = await db.pool.query<{ n: number; lo: number }>("SELECT count(*)::int AS n, min(handled_until) AS lo FROM schedule_state WHERE key LIKE 'many/%'");
    assert.deepEqual(rows[0], { n: 200, lo: 501 });
  });

  it('a failed write is logged and retried, and the value reaches the database once it can', async () => {
    const logs: string[] = [];
    const pool = await db.openPool();
    const s = await PgScheduleState.open({ pool, log: (l) => logs.push(l), retryMs: 60_000 });
    await db.pool.query('ALTER TABLE schedule_state RENAME TO schedule_state_away');
    try {
      s.set('down/x', 7);
      await s.flush();
    } finally {
      await db.pool.query('ALTER TABLE schedule_state_away RENAME TO schedule_state');
    }
    assert.ok(logs.length >= 1);
    for (const l of logs) assert.match(l, /saving schedule state failed/);
    await s.close();
    assert.equal((await PgScheduleState.open({ pool: db.pool })).get('down/x'), 7);
  });
});

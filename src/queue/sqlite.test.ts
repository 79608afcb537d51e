import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../store/sqlite.js';
import { ev, queueContract } from './contract.js';
import { QUEUE_MIGRATIONS } from './sqlite-schema.js';
import { SqliteEventQueue } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'nimbus-queue-'));
let files = 0;
const nextFile = (): string => join(dir, `q-${++files}.db`);
after(() => rmSync(dir, { recursive: true, force: true }));

queueContract('SqliteEventQueue (file)', (clock) => SqliteEventQueue.open({ file: nextFile(), clock }));
queueContract('SqliteEventQueue (:memory:, 1 ms commit delay)', (clock) => SqliteEventQueue.open({ file: ':memory:', clock, commitDelayMs: 1 }));

const A = { app: 'shop', function: 'mail' };

describe('SqliteEventQueue', () => {
  it('has committed an event when enqueue resolves: another connection sees it, and so does a reopen', async () => {
    const file = nextFile();
    const q = SqliteEventQueue.open({ file, clock: () => 1_000 });
    const e = ev();
    await q.enqueue([e]);
    const other = new Database(file, { readonly: true });
    assert.equal(other.prepare('SELECT count(*) FROM queue_events WHERE id = ?').pluck().get(e.id), 1);
    other.close();
    await q.claim(A, 1, 1_000);
    await q.close();
    const again = SqliteEventQueue.open({ file });
    try {
      assert.equal(await again.recover(2_000), 1);
      const [got] = await again.claim(A, 1, 2_000);
      assert.deepEqual([got?.id, got?.attempts, got?.payload], [e.id, 2, e.payload]);
    } finally {
      await again.close();
    }
  });

  it('keeps hop counts across a restart and adds the column to a queue created before it', async () => {
    const file = nextFile();
    const old = new Database(file);
    old.exec('CREATE TABLE queue_migrations (id INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
    old.exec(QUEUE_MIGRATIONS[0]!);
    old.prepare('INSERT INTO queue_migrations VALUES (1, 0)').run();
    old
      .prepare(
        `INSERT INTO queue_events (id, app, function, state, source, shape, origin, payload, attempts, max_attempts, run_at, expires_at, created_at)
      VALUES ('old', 'shop', 'mail', 'pending', 'invoke', 'invoke', '', '1', 0, 3, 0, 9999999, 0)`,
      )
      .run();
    old.close();
    const q = SqliteEventQueue.open({ file, clock: () => 1_000 });
    await q.enqueue([ev({ id: 'deep', hop: 12, runAt: 5 })]);
    await q.close();
    const again = SqliteEventQueue.open({ file });
    try {
      assert.deepEqual(
        (await again.claim(A, 10, 2_000)).map((e) => [e.id, e.hop]),
        [
          ['old', 0],
          ['deep', 12],
        ],
      );
    } finally {
      await again.close();
    }
  });

  it('commits concurrent enqueues together', async () => {
    const q = SqliteEventQueue.open({ file: nextFile() });
    try {
      await Promise.all(Array.from({ length: 300 }, () => q.enqueue([ev()])));
      const { commits, ops } = q.stats;
      assert.equal(ops, 300);
      assert.ok(commits <= 3, `300 concurrent enqueues took ${commits} commits`);
    } finally {
      await q.close();
    }
  });

  it('rejects only the operation that fails inside a shared commit', async () => {
    const q = SqliteEventQueue.open({ file: nextFile() });
    try {
      const bad = { ...ev(), maxAttempts: null as unknown as number };
      const [good1, broken, good2] = await Promise.allSettled([q.enqueue([ev()]), q.enqueue([ev(), bad]), q.enqueue([ev()])]);
      assert.equal(good1.status, 'fulfilled');
      assert.equal(broken.status, 'rejected');
      assert.equal(good2.status, 'fulfilled');
      assert.equal(await q.depth(), 2, 'the failed call left none of its events behind');
      await assert.rejects(q.enqueue([{ ...ev(), payload: { big: 1n } }]), /BigInt/);
    } finally {
      await q.close();
    }
  });

  it('lives beside the store in one file, each with its own migrations', async () => {
    const file = nextFile();
    const store = SqliteStore.open({ file });
    const q = SqliteEventQueue.open({ file });
    try {
      await q.enqueue([ev()]);
      assert.deepEqual(await store.listApps(), []);
      assert.equal(await q.depth(), 1);
    } finally {
      await q.close();
      await store.close();
    }
    const db = new Database(file);
    assert.equal(db.prepare('SELECT max(id) FROM queue_migrations').pluck().get(), QUEUE_MIGRATIONS.length);
    db.prepare('INSERT INTO queue_migrations VALUES (?, 0)').run(QUEUE_MIGRATIONS.length + 1);
    db.close();
    assert.throws(() => SqliteEventQueue.open({ file }), /upgrade Nimbus/);
  });

  // How fast a pass is over a large backlog is the benchmark's business (no timed assertions in
  // tests): the figures are printed as diagnostics; what is asserted is what a user would notice.
  it('claims from a large backlog and finds its targets', async (t) => {
    const q = SqliteEventQueue.open({ file: nextFile(), clock: () => 1_000 });
    try {
      for (let i = 0; i < 20; i++) await q.enqueue(Array.from({ length: 1000 }, () => ev()));
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) {
        const targets = await q.dueTargets(1_000);
        assert.deepEqual(
          targets.map((d) => `${d.app}/${d.function}`),
          [`${A.app}/${A.function}`],
        );
        await q.complete((await q.claim(A, 10, 1_000)).map((e) => e.id));
      }
      t.diagnostic(`a pass over a 20k backlog: ${((performance.now() - t0) / 50).toFixed(2)} ms`);
      assert.equal(await q.depth(A), 20_000 - 500);
      // Finding the targets must not step through the backlog (it did: 1.6 ms a call at 20k).
      const t1 = performance.now();
      for (let i = 0; i < 100; i++) assert.equal(await q.nextRunAt(), 1_000);
      t.diagnostic(`nextRunAt over a 20k backlog: ${((performance.now() - t1) / 100).toFixed(3)} ms`);
    } finally {
      await q.close();
    }
  });
});

import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { migratePg } from './migrate.js';
import { openPgPool, withTransaction } from './pool.js';
import { createTestSchema, pgTestTarget, type PgTestSchema } from './testing.js';

const target = await pgTestTarget(process.env);

describe('postgres pool and migrations', { skip: 'skip' in target ? target.skip : false }, () => {
  let db: PgTestSchema;
  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
  });
  after(async () => db?.drop());

  it('applies each migration once, even when two nodes migrate at the same time', async () => {
    const other = await db.openPool();
    const list = ['CREATE TABLE t1 (id bigint PRIMARY KEY)', 'ALTER TABLE t1 ADD COLUMN note text'];
    const ran = await Promise.all([migratePg(db.pool, 'demo', list), migratePg(other, 'demo', list)]);
    assert.deepEqual(ran.sort(), [0, 2]);
    assert.equal(await migratePg(db.pool, 'demo', [...list, 'CREATE INDEX t1_note ON t1 (note)']), 1);
  });

  it('returns int8 as numbers and forces synchronous_commit on', async () => {
    const { rows } = await db.pool.query<{ n: number; s: string }>("SELECT 1700000000000::bigint AS n, current_setting('synchronous_commit') AS s");
    assert.equal(rows[0]!.n, 1_700_000_000_000);
    assert.equal(rows[0]!.s, 'on');
  });

  it('rolls a failed transaction back', async () => {
    await db.pool.query('CREATE TABLE t2 (id int PRIMARY KEY)');
    await assert.rejects(
      withTransaction(db.pool, async (c) => {
        await c.query('INSERT INTO t2 VALUES (1)');
        await c.query('INSERT INTO t2 VALUES (1)');
      }),
    );
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM t2');
    assert.equal(rows[0].n, 0);
  });

  it('refuses an unreachable server with DATABASE_UNAVAILABLE, without the password in the message', async () => {
    await assert.rejects(openPgPool({ url: 'postgres://nimbus:s3cret@127.0.0.1:1/nimbus' }), (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'DATABASE_UNAVAILABLE');
      assert.match((err as Error).message, /127\.0\.0\.1:1\/nimbus/);
      assert.doesNotMatch((err as Error).message, /s3cret/);
      return true;
    });
  });
});

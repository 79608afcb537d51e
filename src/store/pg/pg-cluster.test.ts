/**
 * What the contract cannot see: several nodes (pools) on one database. Concurrent deploys of one
 * app, bundles cached per node, day partitions (created by two nodes at once, dropped by another
 * node's retention, an event's attempts across midnight).
 */
import { strict as assert } from 'node:assert';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { PgPool } from '../../pg/index.js';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../../pg/testing.js';
import { fn, invocation, log, sha } from '../contract-fixtures.js';
import { PgStore } from './index.js';
import { DAY_MS, partitionName } from './partitions.js';
import { LOCK, STORE_TABLES } from './schema.js';

const target = await pgTestTarget(process.env);
const DAY = Date.UTC(2026, 11, 1);

describe('PgStore across nodes', { skip: 'skip' in target ? target.skip : false }, () => {
  let db: PgTestSchema;
  let otherPool: PgPool;
  let a: PgStore;
  let b: PgStore;
  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
    otherPool = await db.openPool();
  });
  after(async () => db?.drop());
  beforeEach(async () => {
    [a, b] = await Promise.all([PgStore.open({ pool: db.pool }), PgStore.open({ pool: otherPool })]);
    await db.pool.query(`TRUNCATE ${STORE_TABLES.join(', ')}`);
  });

  const partitions = async (table: string): Promise<string[]> => {
    const { rows } = await db.pool.query<{ name: string }>('SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1', [table]);
    return rows.map((r) => r.name);
  };

  it('serialises concurrent deploys of one app: versions 1, 2, 3… with no error and no duplicate', async () => {
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all([a.deployApp('shop', [fn('cart', `a${round}`)]), b.deployApp('shop', [fn('cart', `b${round}`)])]);
      assert.deepEqual(results.map((r) => r.functions[0]!.created).sort(), [true, true]);
    }
    const versions = (await a.listVersions('shop', 'cart')).map((v) => v.version);
    assert.deepEqual(versions, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The same deploy from two nodes at once: one creates the version, the other finds it.
    const same = await Promise.all([a.deployApp('blog', [fn('post', 'x')]), b.deployApp('blog', [fn('post', 'x')])]);
    assert.deepEqual(
      same.map((r) => r.functions[0]!.version),
      [1, 1],
    );
    assert.deepEqual(same.map((r) => r.functions[0]!.created).sort(), [false, true]);
  });

  it('rolls a failed deploy back whole', async () => {
    await a.deployApp('shop', [fn('cart', 'a'), fn('pay', 'p')]);
    const broken = { ...fn('new', 'n'), hash: null as unknown as string };
    await assert.rejects(a.deployApp('shop', [fn('cart', 'changed'), broken]));
    assert.deepEqual(
      (await a.listVersions('shop', 'cart')).map((v) => v.version),
      [1],
    );
    assert.deepEqual(
      (await a.listFunctions('shop')).map((f) => f.name),
      ['cart', 'pay'],
    );
    assert.equal(await a.getCode(sha('changed')), undefined);
  });

  it('serves a bundle from the node cache after the first read', async () => {
    await a.deployApp('shop', [fn('cart', 'bundle')]);
    assert.equal(await a.getCode(sha('bundle')), 'bundle');
    assert.equal(a.codeCache.size, 1);
    // Node b deletes the app: the row is collected, b forgets it, a still answers from memory.
    await b.deleteApp('shop');
    assert.equal((await db.pool.query('SELECT 1 FROM code')).rowCount, 0);
    assert.equal(await a.getCode(sha('bundle')), 'bundle');
    assert.equal(await b.getCode(sha('bundle')), undefined);
  });

  it('keeps one record per id when attempts cross midnight or come from two nodes at once', async () => {
    await a.insertInvocations([invocation('evt', DAY - 1_000, { status: 'timeout' })]);
    await b.insertInvocations([invocation('evt', DAY + 1_000, { status: 'ok' })]);
    await a.insertInvocations([invocation('evt', DAY - 1_000, { status: 'timeout' })]);
    assert.equal((await a.getInvocation('evt'))?.status, 'ok');
    for (let i = 0; i < 5; i++) {
      await Promise.all([a.insertInvocations([invocation(`race${i}`, DAY + 10 + i)]), b.insertInvocations([invocation(`race${i}`, DAY + 20 + i, { status: 'error' })])]);
    }
    const { rows } = await db.pool.query<{ id: string; n: number }>('SELECT id, count(*)::int AS n FROM invocations GROUP BY id ORDER BY id');
    assert.deepEqual(
      rows.map((r) => [r.id, r.n]),
      [['evt', 1], ...Array.from({ length: 5 }, (_, i) => [`race${i}`, 1])],
    );
    for (let i = 0; i < 5; i++) assert.equal((await b.getInvocation(`race${i}`))?.status, 'error');
    const rollups = await a.queryRollups({ since: DAY - DAY_MS, until: DAY + DAY_MS });
    assert.equal(
      rollups.reduce((n, r) => n + r.invocations, 0),
      6,
      'replaced attempts are taken back from the rollups',
    );
  });

  it('commits log appends from two nodes in seq order, so a follower reading after a seq passes no line', async () => {
    await a.appendLogs([log('zero', { ts: DAY })]);
    const follow = async (after: number) => (await b.queryLogs({ app: 'shop', function: 'cart', afterSeq: after })).lines;
    let cursor = (await follow(0)).at(-1)!.seq;
    const waiting = async () => (await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).rows[0]!.n;
    // Node a mid-append: its line has taken the next seq and is not committed yet.
    const holder = await otherPool.connect();
    const seen: string[] = [];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK.logs]);
      await holder.query("INSERT INTO logs (invocation_id, app, function, version, ts, stream, line) VALUES ('inv-1', 'shop', 'cart', 1, $1, 'stdout', 'first')", [DAY]);
      let done = false;
      const second = b.appendLogs([log('second', { ts: DAY })]).then(() => void (done = true));
      // Node b appends meanwhile: it must wait for a's commit rather than commit a larger seq first.
      for (let i = 0; i < 500 && !done && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const page = await follow(cursor);
      seen.push(...page.map((l) => l.line));
      cursor = page.at(-1)?.seq ?? cursor;
      await holder.query('COMMIT');
      await second;
    } finally {
      holder.release();
    }
    seen.push(...(await follow(cursor)).map((l) => l.line));
    assert.deepEqual(seen, ['first', 'second']);
  });

  it('creates a day partition from two nodes at once, and recreates one another node dropped', async () => {
    const day = DAY + 3 * DAY_MS;
    await Promise.all([
      a.insertInvocations([invocation('x1', day + 5)]),
      b.insertInvocations([invocation('x2', day + 6)]),
      a.appendLogs([log('l1', { ts: day })]),
      b.appendLogs([log('l2', { ts: day })]),
    ]);
    assert.ok((await partitions('invocations')).includes(partitionName('invocations', day)));
    assert.equal(await b.pruneBefore(day + DAY_MS), 4);
    assert.ok(!(await partitions('invocations')).includes(partitionName('invocations', day)));
    // a still believes the day exists: the insert must recreate it, not fail.
    await a.insertInvocations([invocation('x3', day + 7)]);
    await a.appendLogs([log('l3', { ts: day + 1 })]);
    assert.equal((await a.getInvocation('x3'))?.startedAt, day + 7);
    assert.deepEqual(
      (await b.queryLogs({ app: 'shop', function: 'cart' })).lines.map((l) => l.line),
      ['l3'],
    );
  });

  it('prunes by dropping whole day partitions and deleting the older rows of the day that straddles the time', async () => {
    await a.insertInvocations([invocation('d0a', DAY + 1), invocation('d0b', DAY + 2), invocation('d1a', DAY + DAY_MS + 10), invocation('d1b', DAY + DAY_MS + 5_000)]);
    await a.appendLogs([log('old', { ts: DAY + 3 }), log('edge', { ts: DAY + DAY_MS + 1 }), log('new', { ts: DAY + DAY_MS + 6_000 })]);
    assert.equal(await a.pruneBefore(DAY + DAY_MS + 1_000), 5);
    const names = await partitions('invocations');
    assert.ok(!names.includes(partitionName('invocations', DAY)), names.join());
    assert.ok(names.includes(partitionName('invocations', DAY + DAY_MS)));
    assert.ok(!(await partitions('logs')).includes(partitionName('logs', DAY)));
    assert.deepEqual(
      (await a.listInvocations({ app: 'shop', function: 'cart' })).map((r) => r.id),
      ['d1b'],
    );
    assert.deepEqual(
      (await a.queryLogs({ app: 'shop', function: 'cart' })).lines.map((l) => l.line),
      ['new'],
    );
    assert.equal(await a.pruneBefore(DAY + DAY_MS + 1_000), 0);
  });
});

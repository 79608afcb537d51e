import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { NimbusError } from '../shared/errors.js';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../pg/testing.js';
import type { PgPool } from '../pg/index.js';
import { ChangeFeed, type Change } from './changes.js';
import { ClusterMembership, listMembers } from './membership.js';
import { agreeSharedKeys } from './shared-keys.js';
import { clusterStatus } from './status.js';

const target = await pgTestTarget(process.env);

/** Resolves with the first change `feed` applies that matches. */
function nextChange(): { apply: (c: Change) => void; seen: Promise<Change>; all: Change[] } {
  let resolve!: (c: Change) => void;
  const seen = new Promise<Change>((r) => (resolve = r));
  const all: Change[] = [];
  return {
    apply: (c) => {
      all.push(c);
      resolve(c);
    },
    seen,
    all,
  };
}

const join2 = (pool: PgPool, nodeId: string, log?: (l: string) => void) =>
  ClusterMembership.join({
    pool,
    nodeId,
    gatewayUrl: `http://${nodeId}:8080`,
    adminUrl: `http://${nodeId}:8081`,
    version: 'test',
    stats: () => ({ instances: 2, inFlight: 1 }),
    ...(log ? { log } : {}),
  });

describe('cluster on postgres', { skip: 'skip' in target ? target.skip : false }, () => {
  let db: PgTestSchema;
  let other: PgPool;
  let dir: string;
  // LISTEN channels are per database, not per schema: this file's own.
  const channel = `nimbus_t_${randomBytes(4).toString('hex')}`;
  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
    other = await db.openPool();
    dir = await mkdtemp(join(tmpdir(), 'nimbus-cluster-'));
  });
  after(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a node joins, lists itself alive, refuses a second live process with its id, and frees the id on leave', async () => {
    const a = await join2(db.pool, 'a');
    await assert.rejects(join2(other, 'a'), (err: unknown) => err instanceof NimbusError && err.code === 'NODE_ID_IN_USE' && /another --node-id/.test(err.message));
    const b = await join2(other, 'b');
    const nodes = await a.members();
    assert.deepEqual(
      nodes.map((n) => [n.id, n.alive, n.draining, n.instances, n.inFlight, n.gatewayUrl]),
      [
        ['a', true, false, 2, 1, 'http://a:8080'],
        ['b', true, false, 2, 1, 'http://b:8080'],
      ],
    );
    await b.drain();
    assert.equal((await listMembers(db.pool)).find((n) => n.id === 'b')?.draining, true);
    await b.leave();
    assert.deepEqual(
      (await a.members()).map((n) => n.id),
      ['a'],
    );
    const again = await join2(other, 'b');
    await again.leave();
    await a.leave();
  });

  it('a dead node (no heartbeat for 10 s) shows as not alive and its id can be taken; the stale process is told', async () => {
    const lines: string[] = [];
    const old = await join2(db.pool, 'c', (l) => lines.push(l));
    await db.pool.query('UPDATE nodes SET heartbeat_at = heartbeat_at - 11000 WHERE id = $1', ['c']);
    const c = (await listMembers(db.pool)).find((n) => n.id === 'c');
    assert.equal(c?.alive, false);
    assert.ok(c.heartbeatAgeMs >= 11_000);
    const taken = await join2(other, 'c');
    await old.beat();
    assert.match(lines.join('\n'), /was taken by another process/);
    await taken.leave();
    await old.leave();
  });

  it('rejects a node id outside [a-z0-9-]', async () => {
    await assert.rejects(join2(db.pool, 'Node_1'), (err: unknown) => err instanceof NimbusError && err.code === 'BAD_REQUEST');
  });

  it('status: a cluster lists its nodes and the shared queue depth; a single node lists itself as local', async () => {
    const a = await join2(db.pool, 'st');
    const local = { id: 'st', gatewayUrl: 'g', adminUrl: 'h', stats: () => ({ instances: 1, inFlight: 0 }), draining: () => false };
    const cluster = await clusterStatus({ local, depth: async () => 7, pool: db.pool });
    assert.equal(cluster.mode, 'cluster');
    assert.deepEqual(cluster.queue, { depth: 7 });
    assert.ok(cluster.nodes.some((n) => n.id === 'st' && n.alive));
    const single = await clusterStatus({ local: { ...local, id: 'local' }, depth: async () => 0 });
    assert.deepEqual(single.nodes, [{ id: 'local', heartbeatAgeMs: 0, alive: true, draining: false, instances: 1, inFlight: 0, gatewayUrl: 'g', adminUrl: 'h' }]);
    await a.leave();
  });

  it('two first nodes racing agree on one admin key and HMAC secret, and each writes it to its admin.key (0600)', async () => {
    const fa = join(dir, 'a.key');
    const fb = join(dir, 'b.key');
    const [ka, kb] = await Promise.all([agreeSharedKeys({ pool: db.pool, adminKeyFile: fa }), agreeSharedKeys({ pool: other, adminKeyFile: fb })]);
    assert.equal(ka.adminKey, kb.adminKey);
    assert.ok(ka.keySecret.equals(kb.keySecret));
    assert.equal(ka.keySecret.length, 32);
    assert.equal((await readFile(fa, 'utf8')).trim(), ka.adminKey);
    assert.equal((await readFile(fb, 'utf8')).trim(), ka.adminKey);
    assert.equal((await stat(fb)).mode & 0o777, 0o600);
    // A later node proposing its own keys gets the cluster's.
    const later = await agreeSharedKeys({ pool: other, adminKeyFile: join(dir, 'c.key'), proposal: { adminKey: 'nmb_mine', keySecret: randomBytes(32) } });
    assert.equal(later.adminKey, ka.adminKey);
  });

  it('a change published on one node reaches the other by NOTIFY; a node ignores its own', async () => {
    const onB = nextChange();
    const onA = nextChange();
    // Polling slowed down so that only NOTIFY can deliver within the test.
    const a = await ChangeFeed.start({ pool: db.pool, nodeId: 'a', apply: onA.apply, channel, pollMs: 3_600_000 });
    const b = await ChangeFeed.start({ pool: other, nodeId: 'b', apply: onB.apply, channel, pollMs: 3_600_000 });
    try {
      await a.publish({ kind: 'app', app: 'shop' });
      assert.deepEqual(await onB.seen, { kind: 'app', app: 'shop' });
      await b.publish({ kind: 'secret', app: 'shop', name: 'TOKEN' });
      assert.deepEqual(await onA.seen, { kind: 'secret', app: 'shop', name: 'TOKEN' });
      assert.deepEqual(onA.all, [{ kind: 'secret', app: 'shop', name: 'TOKEN' }]);
      // A poll after the notification does not apply it again.
      await b.poll();
      assert.equal(onB.all.length, 1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('without LISTEN, polling delivers the change (the fallback)', async () => {
    const onB = nextChange();
    const a = await ChangeFeed.start({ pool: db.pool, nodeId: 'a', apply: () => {}, channel, listen: false, pollMs: 3_600_000 });
    const b = await ChangeFeed.start({ pool: other, nodeId: 'b', apply: onB.apply, channel, listen: false, pollMs: 3_600_000 });
    try {
      await a.publish({ kind: 'key' });
      await a.publish({ kind: 'app', app: 'blog' });
      await b.poll();
      assert.deepEqual(onB.all, [{ kind: 'key' }, { kind: 'app', app: 'blog' }]);
      await b.poll();
      assert.equal(onB.all.length, 2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('re-LISTENs after its connection is killed, and changes made meanwhile arrive', async () => {
    const lines: string[] = [];
    const got: Change[] = [];
    const a = await ChangeFeed.start({ pool: db.pool, nodeId: 'a', apply: () => {}, channel, listen: false, pollMs: 3_600_000 });
    let wake: () => void = () => {};
    const b = await ChangeFeed.start({
      pool: other,
      nodeId: 'b',
      channel,
      pollMs: 3_600_000,
      reconnectMs: 50,
      log: (l) => lines.push(l),
      apply: (c) => {
        got.push(c);
        wake();
      },
    });
    try {
      // Kill b's LISTEN connection (the only one on this channel), as a server restart or a proxy would.
      await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`, [`LISTEN ${channel}`]);
      await a.publish({ kind: 'app', app: 'during' });
      // Missed while down: the poll finds it.
      await until(() => lines.some((l) => /LISTEN connection lost/.test(l)));
      await b.poll();
      assert.deepEqual(got, [{ kind: 'app', app: 'during' }]);
      // Back on LISTEN: a new change arrives without a poll.
      await until(async () => (await db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE query = $1`, [`LISTEN ${channel}`])).rowCount === 1);
      const arrived = new Promise<void>((r) => (wake = r));
      await a.publish({ kind: 'app', app: 'after' });
      await arrived;
      assert.deepEqual(got.at(-1), { kind: 'app', app: 'after' });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in 10 s');
}

import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import type { Change } from '../cluster/index.js';
import { NimbusError } from '../shared/errors.js';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../pg/testing.js';
import type { PgPool } from '../pg/index.js';
import { startClusterNode } from './cluster-node.js';

const target = await pgTestTarget(process.env);

describe('a node in the cluster (composition root side)', { skip: 'skip' in target ? target.skip : false }, () => {
  let db: PgTestSchema;
  let other: PgPool;
  const channel = `nimbus_t_${randomBytes(4).toString('hex')}`;
  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
    other = await db.openPool();
  });
  after(async () => db?.drop());

  const start = (pool: PgPool, nodeId: string, apply: (c: Change) => Promise<void> = async () => {}) =>
    startClusterNode({ backend: { cluster: { pool, nodeId } }, apply, stats: () => ({ instances: 1, inFlight: 0 }), depth: async () => 5, log: () => {}, channel });

  it('two nodes: each lists both, a published change reaches the other, a second process with an id in use is refused, drain and leave show', async () => {
    const got: Change[] = [];
    let arrived!: () => void;
    const reached = new Promise<void>((r) => (arrived = r));
    const a = await start(db.pool, 'a');
    const b = await start(other, 'b', async (c) => {
      got.push(c);
      arrived();
    });
    await a.announce({ gatewayUrl: 'http://127.0.0.1:1', adminUrl: 'http://127.0.0.1:2' });
    await assert.rejects(start(other, 'a'), (e: unknown) => e instanceof NimbusError && e.code === 'NODE_ID_IN_USE');
    const s = await b.status();
    assert.equal(s.mode, 'cluster');
    assert.equal(s.self, 'b');
    assert.deepEqual(s.queue, { depth: 5 });
    assert.deepEqual(
      s.nodes.map((n) => [n.id, n.alive, n.gatewayUrl]),
      [
        ['a', true, 'http://127.0.0.1:1'],
        ['b', true, ''],
      ],
    );
    a.publish({ kind: 'app', app: 'shop' });
    await reached;
    assert.deepEqual(got, [{ kind: 'app', app: 'shop' }]);
    await a.drain();
    assert.equal((await b.status()).nodes.find((n) => n.id === 'a')?.draining, true);
    await a.close();
    assert.deepEqual(
      (await b.status()).nodes.map((n) => n.id),
      ['b'],
    );
    await b.close();
  });

  it('on SQLite (no cluster) it is this node alone, as local', async () => {
    const n = await startClusterNode({ backend: {}, apply: async () => {}, stats: () => ({ instances: 2, inFlight: 1 }), depth: async () => 0, log: () => {} });
    await n.announce({ gatewayUrl: 'http://g', adminUrl: 'http://h' });
    assert.deepEqual(await n.status(), {
      mode: 'single',
      self: 'local',
      nodes: [{ id: 'local', heartbeatAgeMs: 0, alive: true, draining: false, instances: 2, inFlight: 1, gatewayUrl: 'http://g', adminUrl: 'http://h' }],
      queue: { depth: 0 },
    });
    await n.drain();
    assert.equal((await n.status()).nodes[0]?.draining, true);
    await n.close();
  });
});

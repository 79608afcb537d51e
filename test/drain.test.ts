/**
 * Draining (issue 11): on close, the gateway's /healthz answers 503 for `drainMs` while other
 * requests are still answered, so a load balancer takes the node out before its listeners close.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NimbusClient } from '../src/client/index.js';
import { startNimbus } from '../src/server/index.js';

describe('draining on close', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-drain-'));
  });
  after(async () => rm(root, { recursive: true, force: true }));

  it('answers /healthz 503 draining during drainMs, still serves other requests, then closes', async () => {
    const node = await startNimbus({ dataDir: join(root, 'data'), port: 0, adminPort: 0, poolSize: 1, drainMs: 3000, log: () => {} });
    const client = new NimbusClient({ url: node.adminUrl, key: node.adminKey });
    const single = await client.cluster();
    assert.equal(single.mode, 'single');
    assert.deepEqual(
      single.nodes.map((n) => [n.id, n.alive, n.draining, n.gatewayUrl]),
      [['local', true, false, node.gatewayUrl]],
    );
    assert.equal((await fetch(`${node.gatewayUrl}/healthz`)).status, 200);
    const closed = node.close();
    const health = await fetch(`${node.gatewayUrl}/healthz`);
    assert.equal(health.status, 503);
    assert.deepEqual(await health.json(), { ok: false, status: 'draining' });
    const other = await fetch(`${node.gatewayUrl}/no-such-route`);
    assert.equal(other.status, 404, 'still routed while draining');
    await other.body?.cancel();
    assert.equal((await client.cluster()).nodes[0]?.draining, true);
    await closed;
    await assert.rejects(fetch(`${node.gatewayUrl}/healthz`));
  });
});

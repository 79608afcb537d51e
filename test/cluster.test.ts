/**
 * A cluster as users run it (issue 11): three `nimbus up --db postgres://… --node-id …` processes
 * on loopback ports sharing one PostgreSQL database. A deploy on one node serves on every node; a
 * redeploy under load through all three fails no request; one admin key works everywhere; any
 * node answers for the cluster's records, logs and status.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deployDir } from '../src/client/deploy.js';
import { createTestDatabase, pgTestTarget } from '../src/pg/testing.js';
import { testCluster, type TestCluster } from './support/cluster.js';
import { eventually } from './support/harness.js';

const target = await pgTestTarget(process.env);

async function writeApp(dir: string, version: number): Promise<void> {
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'nimbus.yaml'), 'app: web\nfunctions:\n  hello:\n    handler: src/hello.handler\n    triggers:\n      - http: GET /hello\n');
  await writeFile(join(dir, 'src', 'hello.mjs'), `export const handler = async () => ({ statusCode: 200, body: JSON.stringify({ version: ${version} }) });\n`);
}

describe('a three-node cluster on PostgreSQL', { skip: 'skip' in target ? target.skip : false }, () => {
  let tmp: string;
  let db: { url: string; drop(): Promise<void> };
  let cluster: TestCluster;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-cluster-'));
    db = await createTestDatabase((target as { url: string }).url);
    cluster = testCluster(tmp, db.url);
    // One after the other: the first creates the schema and the admin key, the others find them.
    for (const id of ['a', 'b', 'c']) await cluster.start(id);
  });

  after(async () => {
    await cluster?.stop();
    await db?.drop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('gives every node the same admin key, written to each admin.key', async () => {
    const keys = await Promise.all(['a', 'b', 'c'].map((id) => readFile(join(tmp, `data-${id}`, 'admin.key'), 'utf8')));
    assert.equal(new Set(keys.map((k) => k.trim())).size, 1);
    for (const id of ['a', 'b', 'c']) assert.equal((await cluster.node(id).client.listApps()).length, 0);
  });

  it('serves a deploy made on node a from nodes b and c', async () => {
    await writeApp(join(tmp, 'web'), 1);
    await deployDir(cluster.node('a').client, join(tmp, 'web'));
    for (const id of ['b', 'c']) {
      const body = await eventually(
        async () => {
          const res = await fetch(`${cluster.node(id).gatewayUrl}/hello`);
          return res.status === 200 ? ((await res.json()) as { version: number }) : undefined;
        },
        5_000,
        `node ${id} to serve the deploy`,
      );
      assert.deepEqual(body, { version: 1 });
    }
  });

  it('redeploys under load through all three nodes without a failed request', async (t) => {
    const nodes = ['a', 'b', 'c'].map((id) => cluster.node(id));
    let stop = false;
    // Per client loop (sequential requests): the versions it saw, in order.
    const seen = new Map<string, number[]>();
    const failures: string[] = [];
    // A failed request's invocation: its record and log lines say why (the public error does not).
    const failedIds: { node: string; invocation: string }[] = [];
    const loop = async (gatewayUrl: string, id: string) => {
      while (!stop) {
        const res = await fetch(`${gatewayUrl}/hello`).catch((err: Error) => err);
        if (res instanceof Error) failures.push(`${id}: ${res.message}`);
        else if (res.status !== 200) {
          failures.push(`${id}: HTTP ${res.status} ${await res.text()}`);
          const invocation = res.headers.get('x-nimbus-invocation-id');
          if (invocation) failedIds.push({ node: id.slice(0, 1), invocation });
        } else {
          const { version } = (await res.json()) as { version: number };
          const list = seen.get(id) ?? [];
          if (list.at(-1) !== version) list.push(version);
          seen.set(id, list);
        }
      }
    };
    const loops = nodes.flatMap((n) => [loop(n.gatewayUrl, `${n.id}1`), loop(n.gatewayUrl, `${n.id}2`)]);
    await new Promise((r) => setTimeout(r, 300));
    await writeApp(join(tmp, 'web'), 2);
    const deployedAt = Date.now();
    await deployDir(cluster.node('b').client, join(tmp, 'web'));
    const lag = new Map<string, number>();
    await eventually(
      () => {
        for (const n of nodes) if (!lag.has(n.id) && seen.get(`${n.id}1`)?.at(-1) === 2 && seen.get(`${n.id}2`)?.at(-1) === 2) lag.set(n.id, Date.now() - deployedAt);
        return lag.size === nodes.length;
      },
      10_000,
      'every node to serve version 2',
    );
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);
    t.diagnostic(`deploy on b visible after: ${[...lag].map(([id, ms]) => `${id} ${ms} ms`).join(', ')}`);
    if (failures.length > 0) t.diagnostic(await whyFailed(failedIds.slice(0, 3)));
    assert.deepEqual(failures, [], `${failures.length} failed requests during the redeploy, first: ${failures.slice(0, 3).join(' | ')}`);
    // Each client switched once, from 1 to 2, and never went back.
    for (const [loop, versions] of seen) assert.deepEqual(versions, [1, 2], `versions seen by client ${loop}`);
    assert.equal(seen.size, 6);
  });

  /** What the failed invocations' records and log lines say, read through the node that ran them. */
  async function whyFailed(failed: { node: string; invocation: string }[]): Promise<string> {
    const out: string[] = [];
    for (const { node, invocation } of failed) {
      const client = cluster.node(node).client;
      const record = await eventually(() => client.getInvocation(invocation).catch(() => undefined), 5_000, `the record of ${invocation}`).catch((err: Error) => err.message);
      // An instance that cannot start logs it under no invocation: the system lines are listed too.
      const lines = await client.logs('web', 'hello', { limit: 1_000 }).then(
        (page) =>
          page.lines
            .filter((l) => l.invocationId === invocation || l.stream === 'system')
            .map((l) => `v${l.version} ${l.stream} ${l.invocationId ?? '-'}: ${l.line}`)
            .join('\n'),
        (err: Error) => err.message,
      );
      out.push(`node ${node}, ${invocation}: record ${JSON.stringify(record)}\nlogs:\n${lines}`);
    }
    out.push(`node stderr:\n${['a', 'b', 'c'].map((id) => `${id}: ${cluster.node(id).stderr().slice(-2_000)}`).join('\n')}`);
    return out.join('\n');
  }

  it('takes the abort of a canary started on node a through node c: every node serves the old version again, and a never promotes it', async () => {
    await writeApp(join(tmp, 'web'), 3);
    await deployDir(cluster.node('a').client, join(tmp, 'web'), { canary: { weight: 50, durationMs: 3_000 } });
    const versionOn = async (id: string) => ((await (await fetch(`${cluster.node(id).gatewayUrl}/hello`)).json()) as { version: number }).version;
    await eventually(async () => (await versionOn('b')) === 3 || undefined, 5_000, "node b to route the canary's share");
    const aborted = await cluster.node('c').client.abortCanary('web');
    assert.equal(aborted.state, 'rolled-back');
    // Past the canary's window: node a's timer has fired by now, and must not have promoted v3.
    await new Promise((r) => setTimeout(r, 3_500));
    for (const id of ['a', 'b', 'c']) {
      assert.equal((await cluster.node(id).client.canaryStatus('web')).state, 'rolled-back', `the canary's state on node ${id}`);
      const seen = new Set<number>();
      for (let i = 0; i < 10; i++) seen.add(await versionOn(id));
      assert.deepEqual([...seen], [2], `versions served by node ${id}`);
    }
  });

  it('answers records and logs from any node, saying which node ran them', async () => {
    const res = await fetch(`${cluster.node('c').gatewayUrl}/hello`);
    const id = res.headers.get('x-nimbus-invocation-id');
    assert.ok(id);
    const record = await eventually(
      async () =>
        cluster
          .node('a')
          .client.getInvocation(id)
          .catch(() => undefined),
      5_000,
      'the record on node a',
    );
    assert.equal(record.status, 'ok');
  });

  it('lists the nodes in `GET /v1/cluster` on every node', async () => {
    for (const id of ['a', 'b', 'c']) {
      const n = cluster.node(id);
      const res = await fetch(`${n.adminUrl}/v1/cluster`, { headers: { authorization: `Bearer ${n.key}` } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { mode: string; self: string; nodes: Array<{ id: string; alive: boolean }> };
      assert.equal(body.mode, 'cluster');
      assert.equal(body.self, id);
      assert.deepEqual(
        body.nodes
          .filter((x) => x.alive)
          .map((x) => x.id)
          .sort(),
        ['a', 'b', 'c'],
      );
    }
  });

  it('refuses a second live node with the same id', async () => {
    await assert.rejects(cluster.start('a', ['--data-dir', join(tmp, 'data-a2')]), /NODE_ID_IN_USE|already/);
  });
});

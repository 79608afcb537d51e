/**
 * Case 9, cluster (issue 11): sync throughput and async accept rate of 1, 2 and 3 nodes sharing
 * one PostgreSQL database, beside one node on SQLite (the default), and how long a killed node's
 * events take to be redelivered by the others.
 *
 * On a 2-core machine "more nodes" only means something if each node gets the same slice of it:
 * every node (and the sandboxes it starts) runs in a cgroup of SHARE cores (cpu-share.ts), and
 * runs `--isolation off` so its sandboxes stay inside that share (with isolation on they move to
 * the node's own sandbox cgroups, outside it). The load generators and PostgreSQL are not pinned.
 * Load is split evenly over the nodes' ports, as a load balancer would.
 */
import { join } from 'node:path';
import { createTestDatabase, pgTestTarget } from '../../src/pg/testing.js';
import { writeApp } from '../lib/apps.js';
import { emptyOutput, failIf, type BenchCase, type BenchContext } from '../lib/context.js';
import { cpuShare, type CpuShare } from '../lib/cpu-share.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import { startNimbus, type NimbusNode } from '../lib/nimbus.js';
import { sleep } from '../lib/proc.js';
import { summarize } from '../lib/stats.js';
import type { Scope } from '../lib/scope.js';

const SHARE = 0.4;
const SYNC_CONNECTIONS = 48;
const ASYNC_CONNECTIONS = 32;
const PAYLOAD = JSON.stringify({ order: 42, items: ['a', 'b'], note: 'a small async event' });

interface Setup {
  label: string;
  nodes: number;
  postgres: boolean;
}

const SETUPS: Setup[] = [
  { label: 'SQLite, 1 node', nodes: 1, postgres: false },
  { label: 'PostgreSQL, 1 node', nodes: 1, postgres: true },
  { label: 'PostgreSQL, 2 nodes', nodes: 2, postgres: true },
  { label: 'PostgreSQL, 3 nodes', nodes: 3, postgres: true },
];

interface Cluster {
  nodes: NimbusNode[];
  stop(): Promise<void>;
}

async function startCluster(ctx: BenchContext, scope: Scope, setup: Setup, pgUrl: string | undefined, pinned: { ok: boolean }): Promise<Cluster> {
  const db = setup.postgres && pgUrl ? await createTestDatabase(pgUrl) : undefined;
  const shares: CpuShare[] = [];
  const nodes: NimbusNode[] = [];
  const tag = setup.label.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  // The same master key on every node, as docs/cluster.md asks.
  const env = { ...process.env, NIMBUS_MASTER_KEY: 'ab'.repeat(32) };
  for (let i = 0; i < setup.nodes; i++) {
    const share = cpuShare(`${tag}-${i}`, SHARE);
    if (share) shares.push(share);
    else pinned.ok = false;
    const extraArgs = db ? ['--db', db.url, '--node-id', `n${i + 1}`] : [];
    nodes.push(await startNimbus(ctx, scope, { name: `${tag}-${i}`, isolation: 'off', extraArgs, env, ...(share ? { wrap: share.wrap } : {}) }));
  }
  return {
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.proc.stop()));
      for (const s of shares) s.remove();
      await db?.drop();
    },
  };
}

/** One load per node at once, `total` connections split over them; the sum of their rates. */
async function spread(
  nodes: NimbusNode[],
  total: number,
  spec: (n: NimbusNode) => Omit<Parameters<typeof runLoad>[0], 'connections'>,
): Promise<{ rps: number; p99: number; bad: number; throttled: number; detail: string }> {
  const per = Math.max(1, Math.round(total / nodes.length));
  const results: LoadResult[] = await Promise.all(nodes.map((n) => runLoad({ ...spec(n), connections: per })));
  const statuses: Record<string, number> = {};
  for (const r of results) for (const [code, n] of Object.entries(r.statusCodes)) if (!code.startsWith('2')) statuses[code] = (statuses[code] ?? 0) + n;
  return {
    rps: results.reduce((s, r) => s + r.rps, 0),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    // 429 is load shedding (a node on a fraction of a core still starting instances sheds what it
    // cannot queue), reported beside the rate; anything else is a wrong answer.
    throttled: statuses['429'] ?? 0,
    // A 429's body also counts as a mismatch (it is not the expected body): leave it out of both.
    bad: results.reduce((s, r) => {
      const shed = r.statusCodes['429'] ?? 0;
      return s + (r.non2xx - shed) + r.errors + r.timeouts + Math.max(0, r.mismatches - shed);
    }, 0),
    detail: `${JSON.stringify(statuses)} errors ${results.reduce((s, r) => s + r.errors, 0)} timeouts ${results.reduce((s, r) => s + r.timeouts, 0)}`,
  };
}

export const cluster: BenchCase = {
  id: 'cluster',
  title: 'Cluster on PostgreSQL (1, 2, 3 nodes; failover)',
  async run(ctx, scope) {
    const durationS = ctx.quick ? 2 : 8;
    const out = emptyOutput({ shareCores: SHARE, syncConnections: SYNC_CONNECTIONS, asyncConnections: ASYNC_CONNECTIONS, durationS, isolation: 'off (sandboxes inside the node share)' });
    const pg = await pgTestTarget({ NIMBUS_TEST_PG: process.env['NIMBUS_TEST_PG'] });
    if ('skip' in pg) return { ...out, status: 'skipped', reason: pg.skip };
    const appDir = writeApp(join(ctx.tmpDir, 'cluster-app'), {
      app: 'clu',
      functions: {
        hello: { source: "export const handler = async () => ({ statusCode: 200, body: 'hello' });\n", routes: ['GET /hello'] },
        // Deliveries wait behind one slow instance, so the accept rate is measured on its own.
        sink: { source: 'export const handler = () => new Promise((r) => setTimeout(r, 20));\n', concurrency: 1, instanceConcurrency: 1 },
      },
    });
    const pinned = { ok: true };
    const rows: Array<Array<string | number | null>> = [];
    const problems: string[] = [];
    const syncOf = new Map<string, number>();
    for (const setup of SETUPS) {
      const c = await startCluster(ctx, scope, setup, pg.url, pinned);
      try {
        await c.nodes[0]!.deploy(appDir);
        for (const n of c.nodes) await waitServing(n);
        // Warm-up under load: instances start, the JIT settles (a node on a fraction of a core takes a while).
        await spread(c.nodes, SYNC_CONNECTIONS, (n) => ({ url: `${n.gatewayUrl}/hello`, durationS: ctx.quick ? 2 : 8 }));
        const sync = await spread(c.nodes, SYNC_CONNECTIONS, (n) => ({ url: `${n.gatewayUrl}/hello`, durationS, expectBody: 'hello' }));
        const accept = await spread(c.nodes, ASYNC_CONNECTIONS, (n) => ({
          url: `${n.adminUrl}/v1/apps/clu/functions/sink/invoke`,
          durationS,
          method: 'POST',
          headers: { authorization: `Bearer ${n.key}`, 'x-nimbus-invocation-type': 'Event', 'content-type': 'application/json' },
          body: PAYLOAD,
        }));
        syncOf.set(setup.label, sync.rps);
        if (sync.bad + accept.bad > 0) problems.push(`${setup.label}: ${sync.bad} sync (${sync.detail}) and ${accept.bad} async (${accept.detail}) requests failed`);
        rows.push([setup.label, Math.round(sync.rps), Number(sync.p99.toFixed(1)), sync.throttled, Math.round(accept.rps), Number(accept.p99.toFixed(1))]);
        ctx.log(`  ${setup.label}: sync ${sync.rps.toFixed(0)} req/s (p99 ${sync.p99.toFixed(1)} ms), async accepted ${accept.rps.toFixed(0)}/s (p99 ${accept.p99.toFixed(1)} ms)`);
      } finally {
        await c.stop();
      }
    }
    out.tables.push({
      title: `Each node pinned to ${SHARE} cores${pinned.ok ? '' : ' (NOT pinned: cgroups not writable here)'}`,
      columns: ['setup', 'sync req/s', 'sync p99 ms', 'sync 429s', 'async accepted/s', 'async p99 ms'],
      rows,
    });
    const base = syncOf.get('PostgreSQL, 1 node');
    for (const n of [2, 3]) {
      const v = syncOf.get(`PostgreSQL, ${n} nodes`);
      out.ratios.push({ name: `sync req/s, ${n} nodes / 1 node (PostgreSQL)`, value: base && v ? v / base : null, definition: 'sum over the nodes of 2xx/s, same run' });
    }
    const sqlite = syncOf.get('SQLite, 1 node');
    out.ratios.push({ name: 'sync req/s, PostgreSQL 1 node / SQLite 1 node', value: base && sqlite ? base / sqlite : null, definition: 'same share, same run' });

    // Failover: events held by a node that is killed come back when their leases expire.
    const c = await startCluster(ctx, scope, { label: 'failover', nodes: 3, postgres: true }, pg.url, pinned);
    try {
      const holdDir = writeApp(join(ctx.tmpDir, 'hold-app'), {
        app: 'hold',
        functions: { hold: { source: 'export const handler = () => new Promise((r) => setTimeout(r, 1000));\n', instanceConcurrency: 10 } },
      });
      await c.nodes[0]!.deploy(holdDir);
      const total = 60;
      await Promise.all(
        Array.from({ length: total }, (_, i) => {
          const n = c.nodes[i % c.nodes.length]!;
          return fetch(`${n.adminUrl}/v1/apps/hold/functions/hold/invoke`, { method: 'POST', headers: { authorization: `Bearer ${n.key}`, 'x-nimbus-invocation-type': 'Event' }, body: '{}' }).then(
            (r) => r.arrayBuffer(),
          );
        }),
      );
      await sleep(400);
      const victim = c.nodes[1]!;
      void victim.proc.stop();
      process.kill(-victim.proc.pid, 'SIGKILL');
      const t0 = performance.now();
      const a = c.nodes[0]!;
      while ((await a.client.queueDepth('hold', 'hold')).depth > 0) {
        if (performance.now() - t0 > 120_000) throw new Error('the killed node’s events were not redelivered within 120 s');
        await sleep(100);
      }
      const ms = performance.now() - t0;
      out.metrics['failoverDrainMs'] = summarize([ms], 'ms');
      out.notes.push(
        `failover: node 2 of 3 killed (SIGKILL of its process group) with ${total} one-second events spread over the nodes; the queue was empty ${ms.toFixed(0)} ms later (lease expiry + redelivery + the 1 s body)`,
      );
      ctx.log(`  failover: killed node's events redelivered, queue empty ${ms.toFixed(0)} ms after the kill`);
    } finally {
      await c.stop();
    }
    failIf(out, problems);
    return out;
  },
};

async function waitServing(n: NimbusNode): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${n.gatewayUrl}/hello`).catch(() => undefined);
    if (res?.status === 200) return;
    await sleep(100);
  }
  throw new Error(`${n.name} did not serve the deploy within 10 s`);
}

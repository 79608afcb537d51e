/**
 * Case 7, async events: how fast events are accepted durably, and how fast a no-op async function
 * works through them.
 *
 * Enqueue, in process (same run, same disk): a bare better-sqlite3 loop committing one row per
 * transaction (what "202 only after durable" costs without group commit) against the event queue's
 * `enqueue` from 32 concurrent callers (group commit), both WAL + synchronous=NORMAL.
 * Then on a node (`nimbus up`): autocannon with 32 connections posting async invokes
 * (`X-Nimbus-Invocation-Type: Event`) to the control API while the function delivers slowly (a
 * backlog builds); then a no-op version is deployed and the backlog's drain rate is the delivery
 * throughput. Last, both at once: accepting while the no-op delivers.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventQueue } from '../../src/queue/index.js';
import { uuidv7 } from '../../src/shared/ids.js';
import { writeApp } from '../lib/apps.js';
import { emptyOutput, failIf, target, type BenchCase } from '../lib/context.js';
import { runLoad } from '../lib/load.js';
import { startNimbus, type NimbusNode } from '../lib/nimbus.js';
import { sleep } from '../lib/proc.js';
import { median, summarize } from '../lib/stats.js';

const CONNECTIONS = 32;
const PAYLOAD = JSON.stringify({ order: 42, items: ['a', 'b'], note: 'a small async event' });

/** One INSERT per COMMIT, as a per-request enqueue without group commit would do. */
function bareInsertRate(file: string, rows: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE ev (id TEXT PRIMARY KEY, app TEXT, function TEXT, payload TEXT, run_at INTEGER, created_at INTEGER) STRICT');
  const insert = db.prepare('INSERT INTO ev VALUES (?, ?, ?, ?, ?, ?)');
  const t0 = performance.now();
  for (let i = 0; i < rows; i++) insert.run(uuidv7(), 'bench', 'noop', PAYLOAD, Date.now(), Date.now());
  const s = (performance.now() - t0) / 1000;
  db.close();
  return rows / s;
}

/** `callers` concurrent loops of single-event enqueues through the real queue (group commit). */
async function groupCommitRate(file: string, total: number, callers: number): Promise<{ rate: number; perCommit: number }> {
  const q = SqliteEventQueue.open({ file });
  let left = total;
  const payload = JSON.parse(PAYLOAD) as unknown;
  const caller = async () => {
    while (left-- > 0) {
      await q.enqueue([{ id: uuidv7(), target: { app: 'bench', function: 'noop' }, source: 'invoke', shape: 'invoke', payload, origin: '', maxAttempts: 3, expiresAt: Date.now() + 3_600_000 }]);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: callers }, caller));
  const s = (performance.now() - t0) / 1000;
  const { commits, ops } = q.stats;
  await q.close();
  return { rate: total / s, perCommit: ops / Math.max(1, commits) };
}

/** Poll the queue depth until it is empty; returns ms taken. */
async function drain(node: NimbusNode, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while ((await node.client.queueDepth('async', 'noop')).depth > 0) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`the queue did not drain within ${timeoutMs} ms`);
    await sleep(50);
  }
  return performance.now() - t0;
}

export const asyncEvents: BenchCase = {
  id: 'async-events',
  title: 'Async events (durable enqueue, throughput)',
  async run(ctx, scope) {
    const rounds = ctx.quick ? 1 : 5;
    const durationS = ctx.quick ? 2 : 5;
    const rows = ctx.quick ? 5_000 : 20_000;
    const out = emptyOutput({ connections: CONNECTIONS, rounds, durationS, inProcessRows: rows, payloadBytes: PAYLOAD.length, synchronous: 'NORMAL (WAL)' });

    const bare: number[] = [];
    const group: number[] = [];
    const perCommit: number[] = [];
    for (let r = 0; r < rounds; r++) {
      bare.push(bareInsertRate(join(ctx.tmpDir, `bare-${r}.db`), rows));
      const g = await groupCommitRate(join(ctx.tmpDir, `queue-${r}.db`), rows, CONNECTIONS);
      group.push(g.rate);
      perCommit.push(g.perCommit);
      ctx.log(`  round ${r + 1}/${rounds} in process: bare commit per row ${bare[r]!.toFixed(0)}/s, queue group commit ${g.rate.toFixed(0)}/s (${g.perCommit.toFixed(1)} events per commit)`);
    }

    // Two versions of one function: `slow` (one delivery at a time, 20 ms each: a backlog builds
    // while the load runs, so the accept rate is measured on its own) and `fast` (a no-op with 100
    // deliveries in flight): deploying it over the backlog times the delivery throughput.
    const slowDir = writeApp(join(ctx.tmpDir, 'slow'), {
      app: 'async',
      functions: { noop: { source: 'export const handler = () => new Promise((r) => setTimeout(r, 20));\n', concurrency: 1, instanceConcurrency: 1, idleTimeout: 3600 } },
    });
    const fastDir = writeApp(join(ctx.tmpDir, 'fast'), {
      app: 'async',
      functions: { noop: { source: 'export const handler = async () => {};\n', concurrency: 1, instanceConcurrency: 100, idleTimeout: 3600 } },
    });
    const node = await startNimbus(ctx, scope, { name: 'async-events' });
    await node.deploy(fastDir);
    const spec = {
      url: `${node.adminUrl}/v1/apps/async/functions/noop/invoke`,
      connections: CONNECTIONS,
      method: 'POST',
      headers: { authorization: `Bearer ${node.key}`, 'x-nimbus-invocation-type': 'Event', 'content-type': 'application/json' },
      body: PAYLOAD,
    };
    await runLoad({ ...spec, durationS: 1 }); // warm-up: JIT, the instance, the pool
    await drain(node, 60_000);

    const accepted: number[] = [];
    const p99: number[] = [];
    const drainRates: number[] = [];
    const bad: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await node.deploy(slowDir);
      const res = await runLoad({ ...spec, durationS });
      const backlog = (await node.client.queueDepth('async', 'noop')).depth;
      await node.deploy(fastDir);
      const drainMs = await drain(node, 120_000);
      accepted.push(res.rps);
      p99.push(res.latency.p99);
      bad.push(res.non2xx + res.errors + res.timeouts);
      drainRates.push(backlog / (drainMs / 1000));
      ctx.log(
        `  round ${r + 1}/${rounds} node: ${res.rps.toFixed(0)} accepted/s (p99 ${res.latency.p99.toFixed(1)} ms), backlog ${backlog} drained in ${drainMs.toFixed(0)} ms by the no-op (${drainRates[r]!.toFixed(0)}/s)`,
      );
    }
    // Both at once: accepting while the no-op delivers on the same cores.
    const both = await runLoad({ ...spec, durationS });
    const left = (await node.client.queueDepth('async', 'noop')).depth;
    const tailMs = await drain(node, 120_000);
    const endToEnd = both.ok / (both.durationS + tailMs / 1000);
    bad.push(both.non2xx + both.errors + both.timeouts);
    ctx.log(`  accept + deliver together: ${both.rps.toFixed(0)} accepted/s, ${left} left at the end (drained in ${tailMs.toFixed(0)} ms): ${endToEnd.toFixed(0)} delivered/s end to end`);
    failIf(out, bad.some((b) => b > 0) ? [`some async invokes were not accepted: ${bad.join(', ')}`] : []);

    out.metrics['bareCommitPerRow'] = summarize(bare, 'rows/s');
    out.metrics['queueGroupCommit'] = summarize(group, 'events/s');
    out.metrics['eventsPerCommit'] = summarize(perCommit, 'events');
    out.metrics['acceptedHttp'] = summarize(accepted, 'events/s');
    out.metrics['acceptP99'] = summarize(p99, 'ms');
    out.metrics['drainRate'] = summarize(drainRates, 'events/s');
    out.metrics['acceptedWhileDelivering'] = summarize([both.rps], 'events/s');
    out.metrics['deliveredEndToEnd'] = summarize([endToEnd], 'events/s');
    out.ratios.push(
      {
        name: 'queue group commit / bare commit per row',
        value: median(group) / median(bare),
        rounds: group.map((g, i) => g / bare[i]!),
        definition: `in-process enqueues/s with ${CONNECTIONS} concurrent callers through SqliteEventQueue (group commit) divided by a better-sqlite3 loop committing one row per transaction, same round`,
      },
      {
        name: 'HTTP accepted / bare commit per row',
        value: median(accepted) / median(bare),
        definition: 'async invokes answered 202 per second over HTTP (median of rounds) divided by the bare one-row-per-commit loop (median)',
      },
    );
    out.targets.push(target('durable enqueue rate over HTTP (median)', median(accepted), '>=', 5000, 'events/s'));
    out.targets.push(target('no-op async delivery rate (backlog drain, median)', median(drainRates), '>=', 2000, 'events/s'));
    out.tables.push({
      title: `Durable enqueue and delivery of a no-op async function, ${CONNECTIONS} connections, ${rounds} round(s) × ${durationS} s`,
      columns: ['round', 'bare commit/row /s', 'queue in-process /s', 'events per commit', 'HTTP accepted /s', 'accept p99 ms', 'backlog drain /s'],
      rows: accepted.map((a, i) => [i + 1, bare[i] ?? null, group[i] ?? null, perCommit[i] ?? null, a, p99[i] ?? null, drainRates[i] ?? null]),
    });
    out.notes.push(
      `Accepting and delivering together on the same 2 cores: ${both.rps.toFixed(0)} accepted/s, ${endToEnd.toFixed(0)} delivered/s end to end (${left} events were left when the load stopped).`,
    );
    return out;
  },
};

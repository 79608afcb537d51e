/**
 * Case 3, burst scale-out: from zero instances, 100 simultaneous first requests (each its own
 * connection) to a never-called function that sleeps 100 ms, with the settings a new user gets
 * (instanceConcurrency 1, no concurrency limit) on a node started with default flags. Each round
 * uses a fresh node so it really starts from zero. Targets: every request answered, none with a
 * 5xx, the last answer within 1.5 s. Throttles (429) are reported separately.
 */
import { handlers, writeApp } from '../lib/apps.js';
import { emptyOutput, failIf, target, type BenchCase } from '../lib/context.js';
import { runBurst } from '../lib/load.js';
import { startNimbus } from '../lib/nimbus.js';
import { sleep } from '../lib/proc.js';
import { fetchRecords } from '../lib/records.js';
import { descendants } from '../lib/rss.js';
import { withScope } from '../lib/scope.js';
import { median, summarize } from '../lib/stats.js';

const REQUESTS = 100;
const SLEEP_MS = 100;

interface Round {
  totalMs: number;
  p50: number;
  /** Sandbox processes the node started while the burst was answered. */
  processesStarted: number;
  processesBefore: number;
  instancesAfter: number;
  coldRecords: number;
  throttled: number;
  serverErrors: number;
  /** Requests that got no HTTP answer at all (connection errors, timeouts). */
  unanswered: number;
}

export const burst: BenchCase = {
  id: 'burst',
  title: 'Burst scale-out',
  async run(ctx) {
    const rounds = ctx.quick ? 1 : 3;
    const out = emptyOutput({ requests: REQUESTS, sleepMs: SLEEP_MS, settings: 'default (handler and route only)', nodeFlags: 'default', rounds });
    const appDir = writeApp(ctx.tmpDir, {
      app: 'burst',
      functions: { sleeper: { source: handlers.sleep(SLEEP_MS), routes: ['GET /sleep'] } },
    });

    const done: Round[] = [];
    const latencies: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await withScope(async (scope) => {
        const node = await startNimbus(ctx, scope, { name: `burst-${r + 1}` });
        await node.deploy(appDir);
        await sleep(1000); // let the pool fill as it would on an idle node
        const before = (await node.client.getFunction('burst', 'sleeper')).instances.total;
        const treeBefore = new Set(descendants(node.proc.pid));
        const res = await runBurst({ url: `${node.gatewayUrl}/sleep`, count: REQUESTS, timeoutMs: 60_000 });
        // Read at once, before idle instances could be reaped: every process in the tree now that
        // was not there before the burst was started during it (sandboxes and pool refills).
        const treeAfter = descendants(node.proc.pid);
        const view = await node.client.getFunction('burst', 'sleeper');
        const records = await fetchRecords(node, res.invocationIds);
        const count = (pred: (status: number) => boolean) => Object.entries(res.statuses).reduce((n, [s, c]) => n + (s !== 'error' && pred(Number(s)) ? c : 0), 0);
        const round: Round = {
          totalMs: res.totalMs,
          p50: median(res.latenciesMs),
          processesStarted: treeAfter.filter((p) => !treeBefore.has(p)).length,
          processesBefore: treeBefore.size,
          instancesAfter: view.instances.total,
          coldRecords: records.filter((x) => x?.coldStart === true).length,
          throttled: count((s) => s === 429),
          serverErrors: count((s) => s >= 500),
          unanswered: res.statuses['error'] ?? 0,
        };
        done.push(round);
        latencies.push(...res.latenciesMs);
        // Anything but 2xx, 429 or 5xx (a 4xx, a wrong redirect) means the harness or the node broke.
        const other = REQUESTS - count((s) => s >= 200 && s < 300) - round.throttled - round.serverErrors - round.unanswered;
        if (before !== 0) out.notes.push(`round ${r + 1}: ${before} instances existed before the burst`);
        const failed = round.unanswered + round.serverErrors + other;
        failIf(out, failed === 0 ? [] : [`round ${r + 1}: ${failed} requests failed: ${JSON.stringify(res.statuses)} ${res.errors.slice(0, 3).join('; ')}`]);
        ctx.log(
          `  round ${r + 1}/${rounds}: all answered in ${res.totalMs.toFixed(0)} ms, ${round.processesStarted} processes started, ${round.instancesAfter} instances after, ${round.throttled} throttled, statuses ${JSON.stringify(res.statuses)}`,
        );
      });
    }
    const pick = (f: (x: Round) => number) => done.map(f);
    const totals = pick((x) => x.totalMs);
    out.metrics['allAnsweredMs'] = summarize(totals, 'ms');
    out.metrics['requestLatency'] = summarize(latencies, 'ms');
    const counts: [string, (x: Round) => number, string][] = [
      ['processesStarted', (x) => x.processesStarted, 'processes'],
      ['instancesAfter', (x) => x.instancesAfter, 'instances'],
      ['coldStartRecords', (x) => x.coldRecords, 'invocations'],
      ['throttled', (x) => x.throttled, 'requests'],
      ['serverErrors', (x) => x.serverErrors, 'requests'],
      ['unanswered', (x) => x.unanswered, 'requests'],
    ];
    for (const [name, f, unit] of counts) out.metrics[name] = summarize(pick(f), unit);
    out.ratios.push({
      name: 'time until all answered / handler sleep',
      value: median(totals) / SLEEP_MS,
      rounds: totals.map((t) => t / SLEEP_MS),
      definition: `wall time until the last of ${REQUESTS} simultaneous requests answered, divided by the ${SLEEP_MS} ms the handler sleeps (1.0 = no scale-out cost)`,
    });
    const worst = (f: (x: Round) => number) => (done.length > 0 ? Math.max(...pick(f)) : null);
    out.targets.push(
      target(
        'requests without an answer (max over rounds)',
        worst((x) => x.unanswered),
        '<=',
        0,
        'requests',
      ),
    );
    out.targets.push(
      target(
        '5xx answers (max over rounds)',
        worst((x) => x.serverErrors),
        '<=',
        0,
        'requests',
      ),
    );
    out.targets.push(target('last answer after (median over rounds)', done.length > 0 ? median(totals) : null, '<=', 1500, 'ms'));
    out.tables.push({
      title: `${REQUESTS} simultaneous first requests from zero instances (sleep ${SLEEP_MS} ms, default settings, default node flags), ${rounds} round(s) on fresh nodes`,
      columns: ['round', 'all answered ms', 'request p50 ms', 'processes started', 'instances after', 'cold-start records', 'throttled (429)', '5xx', 'no answer'],
      rows: done.map((x, i) => [i + 1, x.totalMs, x.p50, x.processesStarted, x.instancesAfter, x.coldRecords, x.throttled, x.serverErrors, x.unanswered]),
    });
    out.notes.push(
      `"processes started": processes in the tree of the \`nimbus up\` process (descendants found through the ppid in /proc/*/stat) right after the last answer that were not there before the burst, so sandboxes started for the burst plus any pre-warmed pool refills already begun; ${done[0]?.processesBefore ?? '?'} processes (the pre-warmed pool) were there before. "instances after": the function's instance count from the control API at the same moment.`,
      'The node runs with default flags (no --max-instances, default pool size); the function declares only its handler and route (its default timeout applies).',
    );
    return out;
  },
};

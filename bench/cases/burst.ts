/**
 * Case 3, burst scale-out: from zero instances, 100 simultaneous requests to a function that
 * sleeps 100 ms and serves one request per instance. Each round uses a fresh node so it really
 * starts from zero. Expect 0 throttles: the limits allow 100 instances.
 */
import { handlers, writeApp } from '../lib/apps.js';
import { emptyOutput, failIf, target, type BenchCase } from '../lib/context.js';
import { runBurst } from '../lib/load.js';
import { startNimbus } from '../lib/nimbus.js';
import { sleep } from '../lib/proc.js';
import { fetchRecords } from '../lib/records.js';
import { withScope } from '../lib/scope.js';
import { median, summarize } from '../lib/stats.js';

const REQUESTS = 100;
const SLEEP_MS = 100;

export const burst: BenchCase = {
  id: 'burst',
  title: 'Burst scale-out',
  async run(ctx) {
    const rounds = ctx.quick ? 1 : 3;
    // Room for every request plus the pool, so only the platform itself can throttle.
    const maxInstances = REQUESTS + 20;
    const out = emptyOutput({ requests: REQUESTS, sleepMs: SLEEP_MS, instanceConcurrency: 1, concurrency: REQUESTS, maxInstances, rounds });
    const appDir = writeApp(ctx.tmpDir, {
      app: 'burst',
      functions: {
        sleeper: { source: handlers.sleep(SLEEP_MS), routes: ['GET /sleep'], instanceConcurrency: 1, concurrency: REQUESTS, idleTimeout: 3600, timeout: 30 },
      },
    });

    const totals: number[] = [];
    const latencies: number[] = [];
    const p50s: number[] = [];
    const started: number[] = [];
    const coldRecords: number[] = [];
    const throttles: number[] = [];
    const failures: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await withScope(async (scope) => {
        const node = await startNimbus(ctx, scope, { name: `burst-${r + 1}`, maxInstances });
        await node.deploy(appDir);
        await sleep(1000); // let the pool fill as it would on an idle node
        const before = (await node.client.getFunction('burst', 'sleeper')).instances.total;
        const res = await runBurst({ url: `${node.gatewayUrl}/sleep`, count: REQUESTS, timeoutMs: 60_000 });
        const view = await node.client.getFunction('burst', 'sleeper');
        const records = await fetchRecords(node, res.invocationIds);
        const throttled = res.statuses['429'] ?? 0;
        const failed = REQUESTS - (res.statuses['200'] ?? 0) - throttled;
        totals.push(res.totalMs);
        latencies.push(...res.latenciesMs);
        p50s.push(median(res.latenciesMs));
        started.push(view.instances.total);
        coldRecords.push(records.filter((x) => x?.coldStart === true).length);
        throttles.push(throttled);
        failures.push(failed);
        if (before !== 0) out.notes.push(`round ${r + 1}: ${before} instances existed before the burst`);
        failIf(out, failed === 0 ? [] : [`round ${r + 1}: ${failed} requests failed: ${JSON.stringify(res.statuses)} ${res.errors.slice(0, 3).join('; ')}`]);
        ctx.log(`  round ${r + 1}/${rounds}: all answered in ${res.totalMs.toFixed(0)} ms, ${view.instances.total} instances, ${throttled} throttled, statuses ${JSON.stringify(res.statuses)}`);
      });
    }
    out.metrics['allAnsweredMs'] = summarize(totals, 'ms');
    out.metrics['requestLatency'] = summarize(latencies, 'ms');
    out.metrics['instancesStarted'] = summarize(started, 'instances');
    out.metrics['coldStartRecords'] = summarize(coldRecords, 'invocations');
    out.metrics['throttled'] = summarize(throttles, 'requests');
    out.metrics['failed'] = summarize(failures, 'requests');
    out.ratios.push({
      name: 'time until all answered / handler sleep',
      value: median(totals) / SLEEP_MS,
      rounds: totals.map((t) => t / SLEEP_MS),
      definition: `wall time until the last of ${REQUESTS} simultaneous requests answered, divided by the ${SLEEP_MS} ms the handler sleeps (1.0 = no scale-out cost)`,
    });
    out.targets.push(target('throttled requests (max over rounds)', Math.max(...throttles), '<=', 0, 'requests'));
    out.tables.push({
      title: `${REQUESTS} simultaneous requests from zero instances (sleep ${SLEEP_MS} ms, instanceConcurrency 1), ${rounds} round(s) on fresh nodes`,
      columns: ['round', 'all answered ms', 'request p50 ms', 'instances after', 'cold-start records', 'throttled (429)', 'other failures'],
      rows: totals.map((t, i) => [i + 1, t, p50s[i] ?? null, started[i] ?? null, coldRecords[i] ?? null, throttles[i] ?? null, failures[i] ?? null]),
    });
    return out;
  },
};

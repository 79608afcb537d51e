/**
 * Case 2, cold start: the first request to each of many freshly deployed functions, timed end to
 * end at the gateway, with the pre-warmed pool (the normal path) and with the pool at size 0
 * (every start is a real process start). The two nodes run side by side and are measured
 * alternately. Targets with the pool: p50 ≤ 5 ms, p99 ≤ 15 ms.
 */
import type { InvocationRecord } from '../../src/client/index.js';
import { fnName, handlers, writeApp, type BenchFunction } from '../lib/apps.js';
import { startBare } from '../lib/bare.js';
import { emptyOutput, failIf, target, type BenchCase } from '../lib/context.js';
import { keepAliveAgent, timedGet, type Timed } from '../lib/http.js';
import { startNimbus, type NimbusNode } from '../lib/nimbus.js';
import { sleep } from '../lib/proc.js';
import { fetchRecords } from '../lib/records.js';
import { cdfPoints, ratio, summarize } from '../lib/stats.js';

interface Sample {
  fn: string;
  style: 'lambda' | 'web';
  cold: Timed;
  /** The function's second request, sent one gap later (the pool refill after a cold start done). */
  warm?: Timed;
}

export const coldStart: BenchCase = {
  id: 'cold-start',
  title: 'Cold start',
  async run(ctx, scope) {
    // Nearest-rank p99 of 50 samples is the maximum; 100 makes it the second largest.
    const count = ctx.quick ? 50 : 100;
    // Lets the pool refill (~60 ms of CPU per process) between two cold starts.
    const gapMs = ctx.quick ? 150 : 250;
    const out = emptyOutput({ functions: count, gapMs, styles: 'alternating Lambda / web style' });

    const functions: Record<string, BenchFunction> = {};
    const styles = new Map<string, 'lambda' | 'web'>();
    for (let i = 0; i < count; i++) {
      const name = fnName(i, count);
      const style = i % 2 === 0 ? 'lambda' : 'web';
      styles.set(name, style);
      functions[name] = { source: handlers[style](`cold ${name}`), routes: [`GET /cold/${name}`], idleTimeout: 3600 };
    }
    const appDir = writeApp(ctx.tmpDir, { app: 'cold', functions });

    const pool = await startNimbus(ctx, scope, { name: 'cold-pool' });
    const nopool = await startNimbus(ctx, scope, { name: 'cold-nopool', poolSize: 0 });
    const deployMs = [await pool.deploy(appDir), await nopool.deploy(appDir)];
    out.params['deployMs'] = deployMs.map((x) => Math.round(x));
    await sleep(1000); // pool filled, deploy work settled

    const nodes: Array<{ key: 'pool' | 'nopool'; node: NimbusNode; agent: ReturnType<typeof keepAliveAgent>; samples: Sample[] }> = [
      { key: 'pool', node: pool, agent: keepAliveAgent(), samples: [] },
      { key: 'nopool', node: nopool, agent: keepAliveAgent(), samples: [] },
    ];
    for (const n of nodes) await timedGet(`${n.node.gatewayUrl}/bench-connection-warmup`, n.agent); // opens the socket
    // What one request costs on this machine at this pace, platform aside.
    const bare = await startBare(ctx, scope);
    const bareAgent = keepAliveAgent();
    const bareMs: number[] = [];

    // Per node and function: [warm request to the previous function], cold request, pause. The
    // warm reference thus runs on a settled node, not during the refill a cold start triggers.
    const names = [...styles.keys()];
    const url = (n: (typeof nodes)[number], fn: string) => `${n.node.gatewayUrl}/cold/${fn}`;
    for (const [i, fn] of names.entries()) {
      for (const n of i % 2 === 0 ? nodes : [...nodes].reverse()) {
        const prev = n.samples.at(-1);
        if (prev !== undefined) prev.warm = await timedGet(url(n, prev.fn), n.agent);
        n.samples.push({ fn, style: styles.get(fn) ?? 'lambda', cold: await timedGet(url(n, fn), n.agent) });
        await sleep(gapMs);
      }
      bareMs.push((await timedGet(bare.url, bareAgent)).ms);
      if ((i + 1) % 25 === 0) ctx.log(`  ${i + 1}/${count} functions started on both nodes`);
    }
    for (const n of nodes) {
      const last = n.samples.at(-1);
      if (last !== undefined) last.warm = await timedGet(url(n, last.fn), n.agent);
      n.agent.destroy();
    }
    bareAgent.destroy();
    out.metrics['bare.e2e'] = summarize(bareMs, 'ms');

    for (const n of nodes) {
      const s = n.samples;
      const bad = s.filter((x) => x.cold.status !== 200 || x.warm?.status !== 200);
      const first = bad[0]?.cold.status === 200 ? bad[0]?.warm : bad[0]?.cold;
      failIf(out, bad.length === 0 ? [] : [`${n.key}: ${bad.length} of ${s.length} functions did not answer 200 (first: ${first?.status} ${first?.body.slice(0, 200)})`]);
      const coldMs = s.map((x) => x.cold.ms);
      out.metrics[`${n.key}.cold.e2e`] = summarize(coldMs, 'ms');
      out.metrics[`${n.key}.cold.e2e.lambda`] = summarize(s.filter((x) => x.style === 'lambda').map((x) => x.cold.ms), 'ms');
      out.metrics[`${n.key}.cold.e2e.web`] = summarize(s.filter((x) => x.style === 'web').map((x) => x.cold.ms), 'ms');
      const warmMs = (xs: Sample[]) => xs.flatMap((x) => (x.warm === undefined ? [] : [x.warm.ms]));
      out.metrics[`${n.key}.warm.e2e`] = summarize(warmMs(s), 'ms');

      const cold = await fetchRecords(n.node, s.map((x) => x.cold.invocationId));
      const warm = await fetchRecords(n.node, s.map((x) => x.warm?.invocationId ?? null));
      const num = (v: number | null | undefined): v is number => typeof v === 'number';
      const coldRecs = cold.filter((r): r is InvocationRecord => r !== null);
      out.metrics[`${n.key}.cold.initMs`] = summarize(coldRecs.map((r) => r.initMs).filter(num), 'ms');
      out.metrics[`${n.key}.cold.recordDurationMs`] = summarize(coldRecs.map((r) => r.durationMs), 'ms');
      const missing = cold.filter((r) => r === null).length + warm.filter((r) => r === null).length;
      if (missing > 0) out.notes.push(`${n.key}: ${missing} invocation records could not be fetched (no X-Nimbus-Invocation-Id header, or GET /v1/invocations/{id} failed)`);
      const notCold = coldRecs.filter((r) => !r.coldStart).length;
      if (notCold > 0) out.notes.push(`${n.key}: ${notCold} first requests were recorded with coldStart=false`);
      const warmCold = warm.filter((r) => r?.coldStart === true).length;
      if (warmCold > 0) out.notes.push(`${n.key}: ${warmCold} second requests were recorded as cold starts`);
      const noInit = coldRecs.filter((r) => r.initMs === null).length;
      if (noInit > 0) out.notes.push(`${n.key}: ${noInit} cold-start records have initMs = null`);
    }

    const m = (k: string) => out.metrics[k];
    out.targets.push(target('cold start with pool, p50', m('pool.cold.e2e')?.median ?? null, '<=', 5, 'ms'));
    out.targets.push(target('cold start with pool, p99', m('pool.cold.e2e')?.p99 ?? null, '<=', 15, 'ms'));
    const r = (name: string, a: string, b: string, definition: string) =>
      out.ratios.push({ name, value: ratio(m(a)?.median ?? Number.NaN, m(b)?.median ?? Number.NaN), definition });
    r('cold without pool / cold with pool (p50)', 'nopool.cold.e2e', 'pool.cold.e2e', 'median first-request latency, pool size 0 divided by default pool');
    r('cold with pool / warm (p50)', 'pool.cold.e2e', 'pool.warm.e2e', 'median first-request latency divided by median second-request latency, same node');

    const rows: Array<[string, string]> = [
      ['cold, pre-warmed pool', 'pool.cold.e2e'],
      ['  Lambda style', 'pool.cold.e2e.lambda'],
      ['  web style', 'pool.cold.e2e.web'],
      ['  initMs (record)', 'pool.cold.initMs'],
      ['  durationMs (record)', 'pool.cold.recordDurationMs'],
      ['cold, pool size 0', 'nopool.cold.e2e'],
      ['  Lambda style', 'nopool.cold.e2e.lambda'],
      ['  web style', 'nopool.cold.e2e.web'],
      ['  initMs (record)', 'nopool.cold.initMs'],
      ['  durationMs (record)', 'nopool.cold.recordDurationMs'],
      ['warm (second request), pool node', 'pool.warm.e2e'],
      ['warm (second request), pool-size-0 node', 'nopool.warm.e2e'],
      ['bare node:http hello, same client and pace', 'bare.e2e'],
    ];
    out.tables.push({
      title: `First request to each of ${count} fresh functions, end to end at the gateway (one request at a time)`,
      columns: ['what', 'n', 'min ms', 'p50 ms', 'p99 ms', 'max ms'],
      rows: rows.map(([label, key]) => {
        const s = m(key);
        return [label, s?.n ?? 0, s?.min ?? null, s?.median ?? null, s?.p99 ?? null, s?.max ?? null];
      }),
    });
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const poolS = nodes[0]?.samples ?? [];
    const nopoolS = nodes[1]?.samples ?? [];
    out.charts.push({
      file: 'cold-vs-warm.svg',
      title: `Latency of one request: warm vs cold start (${count} functions)`,
      kind: 'cdf',
      unit: 'ms',
      series: [
        { name: 'warm (2nd request)', points: cdfPoints(sorted(poolS.flatMap((x) => (x.warm === undefined ? [] : [x.warm.ms])))) },
        { name: 'cold, pre-warmed pool', points: cdfPoints(sorted(poolS.map((x) => x.cold.ms))) },
        { name: 'cold, pool size 0', points: cdfPoints(sorted(nopoolS.map((x) => x.cold.ms))) },
        { name: 'bare node:http (reference)', points: cdfPoints(sorted(bareMs)) },
      ],
    });
    return out;
  },
};

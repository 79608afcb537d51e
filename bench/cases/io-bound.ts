/**
 * I/O-bound function: a handler that awaits a 100 ms timer and answers, with the settings a new
 * user gets (instanceConcurrency 1, no concurrency limit), at 50 connections. Each instance is
 * waiting, not busy, so a scheduler that scales out serves 50 × 1000 / 100 = 500 req/s. A bare
 * node:http server that waits the same 100 ms before answering is measured in the same,
 * interleaved rounds: what the client and the machine reach without the platform.
 * Target: ≥ 0.85 of the ideal 500 req/s.
 */
import { handlers, writeApp } from '../lib/apps.js';
import { startBare } from '../lib/bare.js';
import { emptyOutput, failIf, target, type BenchCase } from '../lib/context.js';
import type { LoadResult } from '../lib/load.js';
import { startNimbus } from '../lib/nimbus.js';
import { badAnswers, badSystems, cdfOf, med, roundMetrics, roundRatio, runRounds, type System } from '../lib/rounds.js';
import { median, ratio, summarize } from '../lib/stats.js';

const CONNECTIONS = 50;
const SLEEP_MS = 100;
/** Closed loop: each connection can complete at most one request per handler sleep. */
const IDEAL_RPS = (CONNECTIONS * 1000) / SLEEP_MS;

export const ioBound: BenchCase = {
  id: 'io-bound',
  title: 'I/O-bound function',
  async run(ctx, scope) {
    const rounds = ctx.quick ? 1 : 5;
    const durationS = ctx.quick ? 2 : 5;
    const warmupS = ctx.quick ? 1 : 3;
    const out = emptyOutput({ connections: CONNECTIONS, sleepMs: SLEEP_MS, idealRps: IDEAL_RPS, rounds, durationS, warmupS });

    const bare = await startBare(ctx, scope, SLEEP_MS);
    const node = await startNimbus(ctx, scope, { name: 'io-bound' });
    // Default settings: only the handler and the route.
    await node.deploy(writeApp(ctx.tmpDir, { app: 'io', functions: { sleeper: { source: handlers.sleep(SLEEP_MS), routes: ['GET /sleep'] } } }));
    const systems: System[] = [
      { name: 'nimbus', spec: { url: `${node.gatewayUrl}/sleep`, connections: CONNECTIONS, expectBody: 'slept' } },
      { name: 'bare', spec: { url: bare.url, connections: CONNECTIONS, expectBody: 'hello' } },
    ];
    const results = await runRounds(systems, { rounds, durationS, warmupS, log: ctx.log });
    failIf(out, badSystems(results));
    const nimbus = results.get('nimbus') ?? [];
    const base = results.get('bare') ?? [];
    for (const s of systems) Object.assign(out.metrics, roundMetrics(s.name, results.get(s.name) ?? []));
    const instances = (await node.client.getFunction('io', 'sleeper')).instances.total;
    out.params['instancesAfter'] = instances;

    const rps = (r: LoadResult) => r.rps;
    const ideal = nimbus.map((r) => r.rps / IDEAL_RPS);
    const vsIdeal = ideal.length > 0 ? median(ideal) : null;
    out.ratios.push({
      name: `nimbus req/s / ideal ${IDEAL_RPS}`,
      value: vsIdeal,
      rounds: ideal,
      definition: `requests/s of the function divided by ${CONNECTIONS} connections × 1000 / ${SLEEP_MS} ms, median over rounds`,
    });
    const vsBare = roundRatio(nimbus, base, rps);
    out.ratios.push({
      name: 'nimbus / bare (req/s)',
      value: vsBare.value,
      rounds: vsBare.rounds,
      definition: `requests/s of the function divided by a bare node:http server that also waits ${SLEEP_MS} ms, same round, median over rounds`,
    });
    const p50 = roundRatio(nimbus, base, (r) => r.latency.p50);
    out.ratios.push({ name: 'nimbus / bare (p50)', value: p50.value, rounds: p50.rounds, definition: 'p50 latency, same round, median over rounds' });
    out.metrics['nimbus.idealShare'] = summarize(ideal, '×');
    out.targets.push(target(`req/s / ideal ${IDEAL_RPS} req/s, default settings`, vsIdeal, '>=', 0.85, '×'));

    out.tables.push({
      title: `Handler awaiting ${SLEEP_MS} ms, ${CONNECTIONS} connections, median of ${rounds} interleaved round(s) of ${durationS} s after ${warmupS} s of warm-up each`,
      columns: ['system', 'req/s', '÷ ideal', '÷ bare', 'p50 ms', 'p99 ms', 'instances after', 'bad answers'],
      rows: [
        ['nimbus, default settings', med(nimbus, rps), vsIdeal, vsBare.value, med(nimbus, (r) => r.latency.p50), med(nimbus, (r) => r.latency.p99), instances, badAnswers(nimbus)],
        [`bare node:http, ${SLEEP_MS} ms timer`, med(base, rps), ratio(med(base, rps), IDEAL_RPS), 1, med(base, (r) => r.latency.p50), med(base, (r) => r.latency.p99), null, badAnswers(base)],
      ],
    });
    out.notes.push(
      `The function declares only its handler and route; the node runs with default flags. Both systems got ${warmupS} s of the same load as an unmeasured warm-up. "instances after" is the function's instance count (GET of the function) once the rounds were over.`,
    );
    out.charts.push({
      file: 'io-bound-latency.svg',
      title: `Handler awaiting ${SLEEP_MS} ms at ${CONNECTIONS} connections (median CDF over rounds)`,
      kind: 'cdf',
      unit: 'ms',
      series: [
        { name: 'nimbus, default settings', points: cdfOf(nimbus) },
        { name: `bare node:http, ${SLEEP_MS} ms timer`, points: cdfOf(base) },
      ],
    });
    return out;
  },
};

/**
 * Case 1, warm HTTP path: a hello function behind the gateway (Lambda style and web style) against
 * a bare node:http hello server and workerd serving the same hello worker, 50 connections,
 * interleaved rounds. Targets: nimbus/bare ≥ 0.55 (Lambda style), ≥ 0.40 (web style).
 */
import { handlers, writeApp } from '../lib/apps.js';
import { startBare } from '../lib/bare.js';
import { emptyOutput, failIf, target, type BenchCase, type Ratio } from '../lib/context.js';
import { startNimbus } from '../lib/nimbus.js';
import { badAnswers, badSystems, cdfOf, med, roundMetrics, roundRatio, runRounds, type System } from '../lib/rounds.js';
import { ensureWorkerd, startWorkerd } from '../lib/workerd.js';

const CONNECTIONS = 50;
/** One instance serving every connection, like the single bare process it is compared with. */
const INSTANCE_CONCURRENCY = 100;

export const warmHttp: BenchCase = {
  id: 'warm-http',
  title: 'Warm HTTP path',
  async run(ctx, scope) {
    // Many short rounds rather than a few long ones: on a shared machine the two sides of a
    // ratio are then measured closer together in time, and the median has more rounds to reject.
    const rounds = ctx.quick ? 3 : 10;
    const durationS = ctx.quick ? 2 : 5;
    const warmupS = ctx.quick ? 1 : 3;
    const out = emptyOutput({ connections: CONNECTIONS, rounds, durationS, warmupS, instanceConcurrency: INSTANCE_CONCURRENCY, concurrency: 1 });

    const bare = await startBare(ctx, scope);
    const systems: System[] = [{ name: 'bare', spec: { url: bare.url, connections: CONNECTIONS, expectBody: 'hello' } }];
    try {
      // Nimbus failing should not cost the baselines: they are still measured and reported.
      const node = await startNimbus(ctx, scope, { name: 'warm' });
      const fn = { memory: 128, concurrency: 1, instanceConcurrency: INSTANCE_CONCURRENCY, idleTimeout: 3600 };
      await node.deploy(
        writeApp(ctx.tmpDir, {
          app: 'warm',
          functions: {
            lambda: { source: handlers.lambda(), routes: ['GET /lambda'], ...fn },
            web: { source: handlers.web(), routes: ['GET /web'], ...fn },
          },
        }),
      );
      systems.push(
        { name: 'nimbus-lambda', spec: { url: `${node.gatewayUrl}/lambda`, connections: CONNECTIONS, expectBody: 'hello' } },
        { name: 'nimbus-web', spec: { url: `${node.gatewayUrl}/web`, connections: CONNECTIONS, expectBody: 'hello' } },
      );
    } catch (err) {
      out.status = 'failed';
      out.reason = `Nimbus could not be started or deployed to: ${(err as Error).message}`;
    }
    const wd = await ensureWorkerd(ctx.log);
    if (wd.ok) {
      const server = await startWorkerd(ctx, scope, wd.binary, handlers.web());
      systems.push({ name: 'workerd', spec: { url: server.url, connections: CONNECTIONS, expectBody: 'hello' } });
      out.params['workerd'] = wd.version;
    } else {
      out.notes.push(`workerd skipped: ${wd.reason}`);
    }

    const results = await runRounds(systems, { rounds, durationS, warmupS, log: ctx.log });
    const runs = (name: string) => results.get(name) ?? [];
    failIf(out, badSystems(results));
    for (const s of systems) Object.assign(out.metrics, roundMetrics(s.name, runs(s.name)));

    const rps = (r: { rps: number }) => r.rps;
    const ratioOf = (a: string, b: string): Ratio => {
      const { value, rounds: per } = roundRatio(runs(a), runs(b), rps);
      return { name: `${a} / ${b}`, value, rounds: per, definition: `requests/s of ${a} divided by ${b}, same round, median over rounds` };
    };
    for (const n of ['nimbus-lambda', 'nimbus-web']) {
      out.ratios.push(ratioOf(n, 'bare'));
      if (wd.ok) out.ratios.push(ratioOf(n, 'workerd'));
    }
    if (wd.ok) out.ratios.push(ratioOf('workerd', 'bare'));
    const find = (name: string) => out.ratios.find((r) => r.name === name)?.value ?? null;
    out.targets.push(target('nimbus-lambda / bare (req/s)', find('nimbus-lambda / bare'), '>=', 0.55, '×'));
    out.targets.push(target('nimbus-web / bare (req/s)', find('nimbus-web / bare'), '>=', 0.4, '×'));

    out.tables.push({
      title: `Hello at ${CONNECTIONS} connections, median of ${rounds} interleaved rounds of ${durationS} s`,
      columns: ['system', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', '÷ bare', '÷ workerd', 'bad answers'],
      rows: systems.map((s) => {
        const r = runs(s.name);
        const vsBare = s.name === 'bare' ? 1 : find(`${s.name} / bare`);
        const vsWd = s.name.startsWith('nimbus') ? find(`${s.name} / workerd`) : s.name === 'workerd' ? 1 : null;
        return [s.name, med(r, rps), med(r, (x) => x.latency.p50), med(r, (x) => x.latency.p99), med(r, (x) => x.latency.p999), vsBare, vsWd, badAnswers(r)];
      }),
    });
    for (const s of systems) {
      const bad = badAnswers(runs(s.name));
      if (bad > 0) out.notes.push(`${s.name}: ${bad} answers were not 2xx "hello" (status codes of the last round: ${JSON.stringify(runs(s.name).at(-1)?.statusCodes)})`);
    }
    out.charts.push({
      file: 'warm-latency.svg',
      title: `Warm hello latency at ${CONNECTIONS} connections (median CDF over rounds)`,
      kind: 'cdf',
      unit: 'ms',
      series: systems.map((s) => ({ name: s.name, points: cdfOf(runs(s.name)) })),
    });
    out.charts.push({
      file: 'warm-throughput.svg',
      title: `Warm hello throughput at ${CONNECTIONS} connections (median over rounds)`,
      kind: 'bar',
      unit: 'req/s',
      series: systems.map((s, i) => {
        const vsBare = find(`${s.name} / bare`);
        return { name: vsBare === null ? s.name : `${s.name} (${vsBare.toFixed(2)}× bare)`, points: [[i, med(runs(s.name), rps)]] };
      }),
    });
    return out;
  },
};

/**
 * Case 1, warm HTTP path: a hello function behind the gateway (Lambda style and web style) against
 * a bare node:http hello server and workerd serving the same hello worker, 50 connections,
 * interleaved rounds. The headline rows use the settings a new user gets (the function declares
 * only its handler and route; the node runs with default flags); one instance serving every
 * connection (`concurrency: 1, instanceConcurrency: 100`) is measured too, as extra rows labelled
 * favourable. Targets: default Lambda and web ≥ 0.40 × bare req/s, default p99 ≤ 10 × bare p99,
 * instanceConcurrency 100 Lambda ≥ 0.45 × bare.
 */
import { handlers, writeApp, type BenchFunction } from '../lib/apps.js';
import { startBare } from '../lib/bare.js';
import { emptyOutput, failIf, target, type BenchCase, type Ratio } from '../lib/context.js';
import type { LoadResult } from '../lib/load.js';
import { startNimbus, type NimbusNode } from '../lib/nimbus.js';
import { badAnswers, badSystems, cdfOf, med, roundMetrics, roundRatio, runRounds, type System } from '../lib/rounds.js';
import { ensureWorkerd, startWorkerd } from '../lib/workerd.js';

const CONNECTIONS = 50;
/** The favourable configuration: one instance serving every connection, like the one bare process. */
const FAVOURABLE: Omit<BenchFunction, 'source'> = { memory: 128, concurrency: 1, instanceConcurrency: 100, idleTimeout: 3600 };

interface NimbusSystem {
  /** Short name: metric keys, ratio names, progress lines. */
  name: string;
  /** What the tables call it. */
  label: string;
  /** What the bar chart calls it (its label column is narrow; "fav." = favourable). */
  short: string;
  node: string;
  app: string;
  fn: string;
  path: string;
  /** `--isolation off` for this system's node (the comparison row for issue 8's isolation layers). */
  isolationOff?: boolean;
}

/**
 * Each configuration gets a node of its own (default flags), so that instances started for one
 * never count against another's node-wide instance limit.
 */
const NIMBUS: NimbusSystem[] = [
  { name: 'nimbus-lambda', label: 'nimbus Lambda style, default settings', short: 'Lambda, default', node: 'warm-lambda', app: 'warm', fn: 'lambda', path: '/lambda' },
  { name: 'nimbus-web', label: 'nimbus web style, default settings', short: 'web, default', node: 'warm-web', app: 'warm', fn: 'web', path: '/web' },
  {
    name: 'nimbus-lambda-ic100',
    label: 'nimbus Lambda style, instanceConcurrency 100 (favourable)',
    short: 'Lambda, ic100 (fav.)',
    node: 'warm-ic100',
    app: 'warm-ic100',
    fn: 'lambda',
    path: '/lambda',
  },
  { name: 'nimbus-web-ic100', label: 'nimbus web style, instanceConcurrency 100 (favourable)', short: 'web, ic100 (fav.)', node: 'warm-ic100', app: 'warm-ic100', fn: 'web', path: '/web' },
  {
    name: 'nimbus-web-isolation-off',
    label: 'nimbus web style, default settings, node started with --isolation off (comparison)',
    short: 'web, isolation off',
    node: 'warm-web-isolation-off',
    app: 'warm',
    fn: 'web',
    path: '/web',
    isolationOff: true,
  },
];

export const warmHttp: BenchCase = {
  id: 'warm-http',
  title: 'Warm HTTP path',
  async run(ctx, scope) {
    // Many short rounds rather than a few long ones: on a shared machine the two sides of a
    // ratio are then measured closer together in time, and the median has more rounds to reject.
    const rounds = ctx.quick ? 2 : 10;
    const durationS = ctx.quick ? 1 : 5;
    // The same unmeasured load for every system before the first round: JIT, and time for the
    // scheduler to start the instances it wants.
    const warmupS = ctx.quick ? 1 : 3;
    const out = emptyOutput({ connections: CONNECTIONS, rounds, durationS, warmupS, favourable: FAVOURABLE });
    out.notes.push(
      `Headline rows: each function declares only its handler and route (instanceConcurrency 1, no concurrency limit, default memory / timeout / idleTimeout), on a node started with default flags. Rows marked "favourable" use ${JSON.stringify(FAVOURABLE)}.`,
      `Every system, Nimbus or not, got ${warmupS} s of the same load (${CONNECTIONS} connections) as an unmeasured warm-up before the first round. Each Nimbus configuration runs on a node of its own.`,
    );

    const bare = await startBare(ctx, scope);
    const systems: System[] = [{ name: 'bare', spec: { url: bare.url, connections: CONNECTIONS, expectBody: 'hello' } }];
    const labels = new Map<string, string>([['bare', 'bare node:http']]);
    const shorts = new Map<string, string>([['bare', 'bare node:http']]);
    const nodes = new Map<string, NimbusNode>();
    try {
      // Nimbus failing should not cost the baselines: they are still measured and reported.
      const started = await Promise.all(
        [...new Set(NIMBUS.map((s) => s.node))].map((name) => startNimbus(ctx, scope, { name, ...(NIMBUS.some((s) => s.node === name && s.isolationOff) ? { isolation: 'off' as const } : {}) })),
      );
      for (const n of started) nodes.set(n.name, n);
      const nodeNamed = (name: string) => nodes.get(name) as NimbusNode;
      await nodeNamed('warm-lambda').deploy(writeApp(ctx.tmpDir, { app: 'warm', functions: { lambda: { source: handlers.lambda(), routes: ['GET /lambda'] } } }));
      const webApp = writeApp(ctx.tmpDir, { app: 'warm', functions: { web: { source: handlers.web(), routes: ['GET /web'] } } });
      await nodeNamed('warm-web').deploy(webApp);
      await nodeNamed('warm-web-isolation-off').deploy(webApp);
      await nodeNamed('warm-ic100').deploy(
        writeApp(ctx.tmpDir, {
          app: 'warm-ic100',
          functions: {
            lambda: { source: handlers.lambda(), routes: ['GET /lambda'], ...FAVOURABLE },
            web: { source: handlers.web(), routes: ['GET /web'], ...FAVOURABLE },
          },
        }),
      );
      for (const s of NIMBUS) {
        systems.push({ name: s.name, spec: { url: `${nodeNamed(s.node).gatewayUrl}${s.path}`, connections: CONNECTIONS, expectBody: 'hello' } });
        labels.set(s.name, s.label);
        shorts.set(s.name, s.short);
      }
    } catch (err) {
      out.status = 'failed';
      out.reason = `Nimbus could not be started or deployed to: ${(err as Error).message}`;
      nodes.clear();
    }
    const wd = await ensureWorkerd(ctx.log);
    if (wd.ok) {
      const server = await startWorkerd(ctx, scope, wd.binary, handlers.web());
      systems.push({ name: 'workerd', spec: { url: server.url, connections: CONNECTIONS, expectBody: 'hello' } });
      labels.set('workerd', 'workerd');
      out.params['workerd'] = wd.version;
    } else {
      out.notes.push(`workerd skipped: ${wd.reason}`);
    }

    const results = await runRounds(systems, { rounds, durationS, warmupS, log: ctx.log });
    const runs = (name: string) => results.get(name) ?? [];
    failIf(out, badSystems(results));
    for (const s of systems) Object.assign(out.metrics, roundMetrics(s.name, runs(s.name)));

    // How far the scheduler scaled: the instances each function had once the rounds were over.
    const instances = new Map<string, number | null>();
    for (const s of NIMBUS) {
      const node = nodes.get(s.node);
      if (node === undefined) continue;
      try {
        instances.set(s.name, (await node.client.getFunction(s.app, s.fn)).instances.total);
      } catch (err) {
        instances.set(s.name, null);
        out.notes.push(`${s.name}: the function view could not be read: ${(err as Error).message}`);
      }
    }
    out.params['instancesAfterRounds'] = Object.fromEntries(instances);

    const rps = (r: LoadResult) => r.rps;
    const p99 = (r: LoadResult) => r.latency.p99;
    const ratioOf = (a: string, b: string): Ratio => {
      const { value, rounds: per } = roundRatio(runs(a), runs(b), rps);
      return { name: `${a} / ${b}`, value, rounds: per, definition: `requests/s of ${a} divided by ${b}, same round, median over rounds` };
    };
    const p99RatioOf = (a: string, b: string): Ratio => {
      const { value, rounds: per } = roundRatio(runs(a), runs(b), p99);
      return { name: `${a} / ${b} (p99)`, value, rounds: per, definition: `p99 latency of ${a} divided by ${b}, same round, median over rounds` };
    };
    const present = (name: string) => systems.some((s) => s.name === name);
    for (const s of NIMBUS) {
      if (!present(s.name)) continue;
      out.ratios.push(ratioOf(s.name, 'bare'));
      if (wd.ok) out.ratios.push(ratioOf(s.name, 'workerd'));
    }
    for (const n of ['nimbus-lambda', 'nimbus-web']) if (present(n)) out.ratios.push(p99RatioOf(n, 'bare'));
    if (wd.ok) out.ratios.push(ratioOf('workerd', 'bare'));
    const find = (name: string) => out.ratios.find((r) => r.name === name)?.value ?? null;
    out.targets.push(target('Lambda style, default settings: nimbus / bare (req/s)', find('nimbus-lambda / bare'), '>=', 0.4, '×'));
    out.targets.push(target('web style, default settings: nimbus / bare (req/s)', find('nimbus-web / bare'), '>=', 0.4, '×'));
    out.targets.push(target('Lambda style, default settings: nimbus p99 / bare p99', find('nimbus-lambda / bare (p99)'), '<=', 10, '×'));
    out.targets.push(target('web style, default settings: nimbus p99 / bare p99', find('nimbus-web / bare (p99)'), '<=', 10, '×'));
    out.targets.push(target('Lambda style, instanceConcurrency 100 (favourable): nimbus / bare (req/s)', find('nimbus-lambda-ic100 / bare'), '>=', 0.45, '×'));

    const label = (name: string) => labels.get(name) ?? name;
    const short = (name: string) => shorts.get(name) ?? name;
    out.tables.push({
      title: `Hello at ${CONNECTIONS} connections, median of ${rounds} interleaved rounds of ${durationS} s after ${warmupS} s of warm-up each`,
      columns: ['system', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', '÷ bare (req/s)', '÷ workerd (req/s)', 'p99 ÷ bare p99', 'instances after', 'bad answers'],
      rows: systems.map((s) => {
        const r = runs(s.name);
        const vsBare = s.name === 'bare' ? 1 : find(`${s.name} / bare`);
        const vsWd = s.name.startsWith('nimbus') ? find(`${s.name} / workerd`) : s.name === 'workerd' ? 1 : null;
        const p99Ratio = s.name === 'bare' ? 1 : roundRatio(r, runs('bare'), p99).value;
        return [label(s.name), med(r, rps), med(r, (x) => x.latency.p50), med(r, p99), med(r, (x) => x.latency.p999), vsBare, vsWd, p99Ratio, instances.get(s.name) ?? null, badAnswers(r)];
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
      series: systems.map((s) => ({ name: label(s.name), points: cdfOf(runs(s.name)) })),
    });
    out.charts.push({
      file: 'warm-throughput.svg',
      title: `Warm hello throughput at ${CONNECTIONS} connections (median over rounds)`,
      kind: 'bar',
      unit: 'req/s',
      series: systems.map((s, i) => {
        const vsBare = find(`${s.name} / bare`);
        return { name: vsBare === null ? short(s.name) : `${short(s.name)} (${vsBare.toFixed(2)}× bare)`, points: [[i, med(runs(s.name), rps)]] };
      }),
    });
    return out;
  },
};

/**
 * Case 2, cold start as a ratio to a warm request: for each idle gap G (150 ms and 1 s), alternately
 * (a) wait G, then send the first request ever to a never-called function, and (b) wait G, then send
 * a request to a function that is already warm; same client, same connection. The figure that
 * matters is the difference, cold − warm, which survives a noisy machine better than either
 * absolute time. Many fresh functions are deployed up front (alternating Lambda / web style; each
 * cold request is paired with a warm function of the same style). Default settings and default node
 * flags; a node started with `--pool-size 0` (every start a real process start) is measured after
 * it at the 150 ms gap as an extra row.
 * Targets: cold − warm ≤ 3 ms at p50 at each gap; cold p99 ≤ 15 ms at the 150 ms gap.
 */
import type { InvocationRecord } from '../../src/client/index.js';
import { fnName, handlers, writeApp, type BenchFunction } from '../lib/apps.js';
import { emptyOutput, failIf, target, type BenchCase, type CaseOutput } from '../lib/context.js';
import { keepAliveAgent, timedGet, type Timed } from '../lib/http.js';
import { startNimbus, type NimbusNode, type NimbusStartOptions } from '../lib/nimbus.js';
import { sleep } from '../lib/proc.js';
import { fetchRecords } from '../lib/records.js';
import { withScope } from '../lib/scope.js';
import { cdfPoints, ratio, summarize, type Summary } from '../lib/stats.js';

type Style = 'lambda' | 'web';

interface Pair {
  fn: string;
  style: Style;
  cold: Timed;
  warm: Timed;
}

interface Series {
  /** Key prefix of the metrics, e.g. `gap150`. */
  key: string;
  label: string;
  gapMs: number;
  pairs: Pair[];
}

/** Uncounted pairs before a node's first measured one: its first cold starts run cold code paths. */
const WARMUP_PAIRS = 3;

/** Fresh functions `f000…`, alternating style, plus one warm function per style. */
function coldApp(parent: string, count: number): { dir: string; names: string[]; styles: Map<string, Style> } {
  const functions: Record<string, BenchFunction> = {};
  const styles = new Map<string, Style>();
  for (let i = 0; i < count; i++) {
    const name = fnName(i, count);
    const style: Style = i % 2 === 0 ? 'lambda' : 'web';
    styles.set(name, style);
    // Default settings: the handler and the route only.
    functions[name] = { source: handlers[style](`cold ${name}`), routes: [`GET /cold/${name}`] };
  }
  for (const style of ['lambda', 'web'] as const) functions[`warm${style}`] = { source: handlers[style](`warm ${style}`), routes: [`GET /warm/${style}`] };
  return { dir: writeApp(parent, { app: 'cold', functions }), names: [...styles.keys()], styles };
}

/**
 * Run `n` measured pairs (after the warm-up pairs) at gap `gapMs`, taking fresh functions from
 * `fresh` in order: wait, cold request, wait, warm request of the same style.
 */
async function measure(node: NimbusNode, agent: ReturnType<typeof keepAliveAgent>, fresh: Array<[string, Style]>, gapMs: number, n: number, warmup: number, log: (l: string) => void): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < warmup + n; i++) {
    const next = fresh.shift();
    if (next === undefined) throw new Error('ran out of fresh functions');
    const [fn, style] = next;
    await sleep(gapMs);
    const cold = await timedGet(`${node.gatewayUrl}/cold/${fn}`, agent);
    await sleep(gapMs);
    const warm = await timedGet(`${node.gatewayUrl}/warm/${style}`, agent);
    if (i >= warmup) pairs.push({ fn, style, cold, warm });
    if (i >= warmup && (i - warmup + 1) % 50 === 0) log(`  ${i - warmup + 1}/${n} pairs at a ${gapMs} ms gap`);
  }
  return pairs;
}

/** Metrics, record checks and the request-status check of one series. */
async function digest(out: CaseOutput, node: NimbusNode, s: Series): Promise<void> {
  const bad = s.pairs.filter((x) => x.cold.status !== 200 || x.warm.status !== 200);
  const first = bad[0]?.cold.status === 200 ? bad[0]?.warm : bad[0]?.cold;
  failIf(out, bad.length === 0 ? [] : [`${s.label}: ${bad.length} of ${s.pairs.length} pairs did not answer 200 (first: ${first?.status} ${first?.body.slice(0, 200)})`]);
  const k = s.key;
  out.metrics[`${k}.cold`] = summarize(
    s.pairs.map((x) => x.cold.ms),
    'ms',
  );
  out.metrics[`${k}.warm`] = summarize(
    s.pairs.map((x) => x.warm.ms),
    'ms',
  );
  out.metrics[`${k}.cold.lambda`] = summarize(
    s.pairs.filter((x) => x.style === 'lambda').map((x) => x.cold.ms),
    'ms',
  );
  out.metrics[`${k}.cold.web`] = summarize(
    s.pairs.filter((x) => x.style === 'web').map((x) => x.cold.ms),
    'ms',
  );
  out.metrics[`${k}.pairDiff`] = summarize(
    s.pairs.map((x) => x.cold.ms - x.warm.ms),
    'ms',
  );

  const cold = await fetchRecords(
    node,
    s.pairs.map((x) => x.cold.invocationId),
  );
  const warm = await fetchRecords(
    node,
    s.pairs.map((x) => x.warm.invocationId),
  );
  const coldRecs = cold.filter((r): r is InvocationRecord => r !== null);
  const num = (v: number | null | undefined): v is number => typeof v === 'number';
  out.metrics[`${k}.cold.initMs`] = summarize(coldRecs.map((r) => r.initMs).filter(num), 'ms');
  out.metrics[`${k}.cold.recordDurationMs`] = summarize(
    coldRecs.map((r) => r.durationMs),
    'ms',
  );
  const missing = cold.filter((r) => r === null).length + warm.filter((r) => r === null).length;
  if (missing > 0) out.notes.push(`${s.label}: ${missing} invocation records could not be fetched (no X-Nimbus-Invocation-Id header, or GET /v1/invocations/{id} failed)`);
  const notCold = coldRecs.filter((r) => !r.coldStart).length;
  if (notCold > 0) out.notes.push(`${s.label}: ${notCold} first requests were recorded with coldStart=false`);
  const warmCold = warm.filter((r) => r?.coldStart === true).length;
  if (warmCold > 0) out.notes.push(`${s.label}: ${warmCold} requests to a warm function were recorded as cold starts`);
}

export const coldStart: BenchCase = {
  id: 'cold-start',
  title: 'Cold start',
  async run(ctx, scope) {
    // Nearest-rank p99 of n ≤ 100 samples is the maximum; of 150 it is the second largest.
    const gaps = ctx.quick
      ? [
          { gapMs: 150, n: 20 },
          { gapMs: 1000, n: 3 },
        ]
      : [
          { gapMs: 150, n: 150 },
          { gapMs: 1000, n: 50 },
        ];
    const nopoolPairs = ctx.quick ? 6 : 30;
    // Fresh functions: one per pair; the pool-size-0 node reuses the same app (fresh there too).
    const total = gaps.reduce((n, g) => n + g.n, WARMUP_PAIRS);
    if (nopoolPairs + WARMUP_PAIRS > total) throw new Error('not enough fresh functions for the pool-size-0 node');
    const out = emptyOutput({ gaps, warmupPairs: WARMUP_PAIRS, freshFunctions: total, nopoolPairs, styles: 'alternating Lambda / web style' });
    const app = coldApp(ctx.tmpDir, total);
    const fresh = (): Array<[string, Style]> => app.names.map((n) => [n, app.styles.get(n) ?? 'lambda']);

    const node = await startNimbus(ctx, scope, { name: 'cold' });
    out.params['deployMs'] = Math.round(await node.deploy(app.dir));
    await sleep(1000); // pool filled, deploy work settled
    const agent = keepAliveAgent();
    scope.defer(() => agent.destroy());
    // Opens the connection, then makes both reference functions warm.
    for (const style of ['lambda', 'web'] as const) for (let i = 0; i < 5; i++) await timedGet(`${node.gatewayUrl}/warm/${style}`, agent);

    const queue = fresh();
    const series: Series[] = [];
    for (const [i, g] of gaps.entries()) {
      const label = `gap ${g.gapMs >= 1000 ? `${g.gapMs / 1000} s` : `${g.gapMs} ms`}`;
      // The warm-up pairs run once per node, before its first gap.
      series.push({ key: `gap${g.gapMs}`, label, gapMs: g.gapMs, pairs: await measure(node, agent, queue, g.gapMs, g.n, i === 0 ? WARMUP_PAIRS : 0, ctx.log) });
      ctx.log(`  ${label}: ${g.n} pairs done`);
    }
    for (const s of series) await digest(out, node, s);

    // Extra rows, each on a node of its own started only now, so that it is not running beside the
    // measurement above: no pre-warmed pool (every cold start is a process start), and (issue 8) a
    // node started with --isolation off, for what the isolation layers cost.
    const nopoolGap = gaps[0]?.gapMs ?? 150;
    const extraRow = async (series: Series, start: NimbusStartOptions): Promise<Series> => {
      await withScope(async (inner) => {
        const np = await startNimbus(ctx, inner, start);
        await np.deploy(app.dir);
        await sleep(1000);
        const a = keepAliveAgent();
        inner.defer(() => a.destroy());
        for (const style of ['lambda', 'web'] as const) for (let i = 0; i < 5; i++) await timedGet(`${np.gatewayUrl}/warm/${style}`, a);
        series.pairs = await measure(np, a, fresh(), nopoolGap, nopoolPairs, WARMUP_PAIRS, ctx.log);
        await digest(out, np, series);
      });
      return series;
    };
    const nopool = await extraRow({ key: 'nopool', label: `pool size 0, gap ${nopoolGap} ms`, gapMs: nopoolGap, pairs: [] }, { name: 'cold-nopool', poolSize: 0 });
    const isoOff = await extraRow({ key: 'isolationoff', label: `isolation off, gap ${nopoolGap} ms`, gapMs: nopoolGap, pairs: [] }, { name: 'cold-isolation-off', isolation: 'off' });

    const m = (k: string): Summary | undefined => out.metrics[k];
    const p50 = (k: string) => m(k)?.median ?? Number.NaN;
    const diff = (s: Series) => {
      const d = p50(`${s.key}.cold`) - p50(`${s.key}.warm`);
      return Number.isFinite(d) ? d : null;
    };
    for (const s of series) {
      out.targets.push(target(`cold − warm at p50, ${s.label}`, diff(s), '<=', 3, 'ms'));
    }
    const first = series[0];
    if (first !== undefined) out.targets.push(target(`cold p99, ${first.label}`, m(`${first.key}.cold`)?.p99 ?? null, '<=', 15, 'ms'));
    for (const s of [...series, nopool, isoOff]) {
      out.ratios.push({
        name: `cold − warm at p50, ${s.label} (ms)`,
        value: diff(s),
        definition: `p50 of first requests minus p50 of requests to a warm function, each sent after ${s.gapMs} ms idle on the same connection (a difference in ms, not a ratio)`,
      });
      out.ratios.push({
        name: `cold / warm at p50, ${s.label}`,
        value: ratio(p50(`${s.key}.cold`), p50(`${s.key}.warm`)),
        definition: 'p50 of first requests divided by p50 of warm requests, same gap, same client',
      });
    }
    out.ratios.push({
      name: `cold without pool / cold with pool (p50, gap ${nopoolGap} ms)`,
      value: ratio(p50('nopool.cold'), p50(`gap${nopoolGap}.cold`)),
      definition: 'median first-request latency, pool size 0 divided by the default pool, same gap',
    });
    out.ratios.push({
      name: `cold − warm at p50, isolation on − off (gap ${nopoolGap} ms, ms)`,
      value: (() => {
        const d = p50(`gap${nopoolGap}.cold`) - p50(`gap${nopoolGap}.warm`) - (p50('isolationoff.cold') - p50('isolationoff.warm'));
        return Number.isFinite(d) ? d : null;
      })(),
      definition:
        'what the isolation layers (namespaces, cgroups, egress) add to a cold start: (cold − warm) on the default node minus (cold − warm) on a node started with --isolation off, same gap (ms)',
    });

    out.tables.push({
      title: 'First request to a never-called function (cold) vs a request to a warm function, each after the same idle gap, same client',
      columns: ['idle gap', 'pairs', 'cold p50 ms', 'warm p50 ms', 'cold − warm p50 ms', 'cold p99 ms', 'warm p99 ms', 'cold initMs p50'],
      rows: [...series, nopool, isoOff].map((s) => [
        s === nopool ? `${s.label} (extra: every cold start a process start)` : s === isoOff ? `${s.label} (comparison: no namespaces, cgroups or egress)` : s.label,
        s.pairs.length,
        p50(`${s.key}.cold`),
        p50(`${s.key}.warm`),
        diff(s),
        m(`${s.key}.cold`)?.p99 ?? null,
        m(`${s.key}.warm`)?.p99 ?? null,
        m(`${s.key}.cold.initMs`)?.median ?? null,
      ]),
    });
    const detail: Array<[string, string]> = [];
    for (const s of [...series, nopool]) {
      detail.push(
        [`${s.label}: cold`, `${s.key}.cold`],
        ['  Lambda style', `${s.key}.cold.lambda`],
        ['  web style', `${s.key}.cold.web`],
        ['  initMs (record)', `${s.key}.cold.initMs`],
        ['  durationMs (record)', `${s.key}.cold.recordDurationMs`],
        [`${s.label}: warm`, `${s.key}.warm`],
        [`${s.label}: cold − warm, per pair`, `${s.key}.pairDiff`],
      );
    }
    out.tables.push({
      title: 'Distributions, end to end at the gateway (one request at a time)',
      columns: ['what', 'n', 'min ms', 'p50 ms', 'p99 ms', 'max ms'],
      rows: detail.map(([label, key]) => {
        const s = m(key);
        return [label, s?.n ?? 0, s?.min ?? null, s?.median ?? null, s?.p99 ?? null, s?.max ?? null];
      }),
    });
    out.notes.push(
      'Client: one node:http keep-alive connection (opened before the first timed request) for every request, cold and warm; each timed from the request start to the last byte of the answer.',
      `Each pair: wait the gap, first request to a fresh function; wait the gap, request to the warm function of the same style. So first requests follow each other every 2 gaps plus the two answers; the warm request comes one gap after a cold start (and the pool refill it triggers). On each node the first ${WARMUP_PAIRS} pairs (at the first gap) are a warm-up and not counted.`,
      'Every function declares only its handler and route; the main node runs with default flags (default pool size).',
    );
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    out.charts.push({
      file: 'cold-vs-warm.svg',
      title: 'One request after an idle gap: to a warm function vs the first to a new one',
      kind: 'cdf',
      unit: 'ms',
      series: [...series, nopool].flatMap((s) => [
        { name: `cold, ${s.label}`, points: cdfPoints(sorted(s.pairs.map((x) => x.cold.ms))) },
        ...(s === nopool ? [] : [{ name: `warm, ${s.label}`, points: cdfPoints(sorted(s.pairs.map((x) => x.warm.ms))) }]),
      ]),
    });
    return out;
  },
};

/**
 * Interleaved rounds: every system under comparison is measured once per round, in a rotating
 * order, so slow drift of a shared, noisy machine hits all of them alike. Ratios are taken within
 * a round and their median reported.
 */
import { runLoad, type LoadResult, type LoadSpec } from './load.js';
import { fmt } from '../report/format.js';
import { median, medianCdf, ratio, summarize, type Summary } from './stats.js';

export interface System {
  name: string;
  spec: Omit<LoadSpec, 'durationS'>;
}

export interface RoundsOptions {
  rounds: number;
  durationS: number;
  /** Unmeasured load per system before the first round (JIT, instances, pools). */
  warmupS: number;
  log(line: string): void;
}

/** Per-system results, one LoadResult per round, in round order. */
export type RoundResults = Map<string, LoadResult[]>;

export async function runRounds(systems: System[], opts: RoundsOptions): Promise<RoundResults> {
  const results: RoundResults = new Map(systems.map((s) => [s.name, []]));
  for (const s of systems) {
    if (opts.warmupS > 0) await runLoad({ ...s.spec, durationS: opts.warmupS });
  }
  for (let r = 0; r < opts.rounds; r++) {
    const order = systems.map((_, i) => systems[(i + r) % systems.length] as System);
    for (const s of order) {
      const res = await runLoad({ ...s.spec, durationS: opts.durationS });
      results.get(s.name)?.push(res);
      const bad = res.non2xx + res.errors + res.mismatches;
      opts.log(
        `  round ${r + 1}/${opts.rounds} ${s.name.padEnd(20)} ${fmt(res.rps).padStart(7)} req/s  p50 ${fmt(res.latency.p50)} ms  p99 ${fmt(res.latency.p99)} ms${bad > 0 ? `  (${bad} bad answers: ${JSON.stringify(res.statusCodes)}, ${res.errors} errors)` : ''}`,
      );
    }
  }
  return results;
}

/** Summaries over rounds of a system's req/s and per-round p50/p99, keyed `<system>.<metric>`. */
export function roundMetrics(name: string, runs: LoadResult[]): Record<string, Summary> {
  return {
    [`${name}.rps`]: summarize(
      runs.map((r) => r.rps),
      'req/s',
    ),
    [`${name}.p50`]: summarize(
      runs.map((r) => r.latency.p50),
      'ms',
    ),
    [`${name}.p99`]: summarize(
      runs.map((r) => r.latency.p99),
      'ms',
    ),
  };
}

/** Per-round a/b of a field, and their median. */
export function roundRatio(a: LoadResult[], b: LoadResult[], pick: (r: LoadResult) => number): { value: number | null; rounds: number[] } {
  const rounds: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = ratio(pick(a[i] as LoadResult), pick(b[i] as LoadResult));
    if (x !== null) rounds.push(x);
  }
  return { value: rounds.length > 0 ? median(rounds) : null, rounds };
}

/** Median of a field over rounds. */
export function med(runs: LoadResult[], pick: (r: LoadResult) => number): number {
  return median(runs.map(pick));
}

/** The median latency CDF over rounds. */
export function cdfOf(runs: LoadResult[]): Array<[number, number]> {
  return medianCdf(runs.map((r) => r.cdf));
}

/** Non-2xx, connection errors and wrong bodies summed over rounds. */
export function badAnswers(runs: LoadResult[]): number {
  return runs.reduce((n, r) => n + r.non2xx + r.errors + r.mismatches, 0);
}

/** Share of requests that may fail before a system's figures are not trusted. */
const MAX_BAD_SHARE = 0.01;

/** One line per system whose rounds had more than 1% bad answers. */
export function badSystems(results: RoundResults): string[] {
  const problems: string[] = [];
  for (const [name, runs] of results) {
    const bad = badAnswers(runs);
    const total = bad + runs.reduce((n, r) => n + r.ok, 0);
    if (total === 0 || bad / total > MAX_BAD_SHARE) {
      const codes = runs.map((r) => JSON.stringify(r.statusCodes)).join(' ');
      problems.push(`${name}: ${bad} of ${total} requests failed (status codes per round: ${codes}; connection errors: ${runs.reduce((n, r) => n + r.errors, 0)})`);
    }
  }
  return problems;
}

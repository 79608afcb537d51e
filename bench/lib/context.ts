/** What the runner hands every case, and what every case hands back. */
import type { Scope } from './scope.js';
import type { Summary } from './stats.js';

export interface BenchContext {
  /** Short durations and fewer rounds: checks that the harness works, not a measurement. */
  quick: boolean;
  /** Start Nimbus under `--cpu-prof`. */
  cpuProf: boolean;
  /** This run's scratch directory; removed at the end. */
  tmpDir: string;
  /** A progress line on stderr. */
  log: (line: string) => void;
}

/** A limit from the issue, checked against a figure of this run. */
export interface Target {
  name: string;
  actual: number | null;
  op: '<=' | '>=';
  limit: number;
  unit: string;
  /** null when the figure could not be measured. */
  met: boolean | null;
}

/** `a / b` measured in the same run (median over rounds when there are rounds). */
export interface Ratio {
  name: string;
  value: number | null;
  /** What was divided by what, e.g. "requests/s of nimbus-lambda / bare node:http, per round". */
  definition: string;
  /** The per-round values behind `value`. */
  rounds?: number[];
}

export interface Table {
  title: string;
  columns: string[];
  rows: Array<Array<string | number | null>>;
}

export interface Chart {
  /** File name under the results dir, e.g. `warm-latency.svg`. */
  file: string;
  title: string;
  kind: 'cdf' | 'bar';
  /** Axis label of the measured value. */
  unit: string;
  series: Array<{ name: string; points: Array<[number, number]> }>;
}

export type CaseStatus = 'ok' | 'failed' | 'skipped' | 'pending';

export interface CaseResult {
  id: string;
  title: string;
  status: CaseStatus;
  /** Why a case failed, was skipped or is pending. */
  reason?: string;
  durationS: number;
  /** The parameters this run used (connections, rounds, durations, ...). */
  params: Record<string, unknown>;
  /** min / median / p99 / max of each metric's raw samples. */
  metrics: Record<string, Summary>;
  ratios: Ratio[];
  targets: Target[];
  tables: Table[];
  charts: Chart[];
  notes: string[];
}

/** What a case's run() returns; the runner adds id, title, status and timing. */
export type CaseOutput = Omit<CaseResult, 'id' | 'title' | 'status' | 'durationS' | 'reason'> & {
  status?: CaseStatus;
  reason?: string;
};

export interface BenchCase {
  id: string;
  title: string;
  run(ctx: BenchContext, scope: Scope): Promise<CaseOutput>;
}

/** Check `actual op limit`, e.g. `target('cold p50', 4.2, '<=', 5, 'ms')`. */
export function target(name: string, actual: number | null, op: Target['op'], limit: number, unit: string): Target {
  const met = actual === null || !Number.isFinite(actual) ? null : op === '<=' ? actual <= limit : actual >= limit;
  return { name, actual, op, limit, unit, met };
}

/** An empty output to fill in. */
export function emptyOutput(params: Record<string, unknown> = {}): CaseOutput {
  return { params, metrics: {}, ratios: [], targets: [], tables: [], charts: [], notes: [] };
}

/**
 * Mark a case failed when the system under test answered wrongly: its figures are still reported,
 * but a run whose requests failed must not read as a measurement (nor pass a smoke test).
 */
export function failIf(out: CaseOutput, problems: string[]): void {
  if (problems.length === 0) return;
  out.status = 'failed';
  out.reason = [out.reason, ...problems].filter((x) => x !== undefined).join('; ');
}

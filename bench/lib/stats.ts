/**
 * Order statistics of raw samples. Percentiles use the nearest-rank method on the sorted
 * samples, so a reported p99 is always a value that was actually observed.
 */

/** What every metric in the results reports about its raw samples. */
export interface Summary {
  unit: string;
  n: number;
  min: number;
  median: number;
  p99: number;
  max: number;
  /** The raw samples themselves, in measurement order, when there are few enough to keep. */
  samples?: number[];
}

/** Up to this many raw samples are kept in a Summary. */
const KEEP_SAMPLES = 200;

/** Nearest-rank percentile (0 < p <= 100) of samples sorted ascending. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  const i = Math.min(sorted.length - 1, Math.max(0, rank - 1));
  return sorted[i] as number;
}

/** Median; the mean of the two middle values for an even count. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** min / median / p99 / max of raw samples, e.g. `summarize([1.2, 0.9], 'ms')`. */
export function summarize(samples: readonly number[], unit: string): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return {
    unit,
    n: s.length,
    min: s.length > 0 ? (s[0] as number) : Number.NaN,
    median: median(s),
    p99: percentileSorted(s, 99),
    max: s.length > 0 ? (s[s.length - 1] as number) : Number.NaN,
    ...(samples.length <= KEEP_SAMPLES ? { samples: [...samples] } : {}),
  };
}

/**
 * A latency distribution reduced to (percentile, value) points for a CDF chart: dense in the
 * tail, where the interesting shape is.
 */
export function cdfPoints(sorted: ArrayLike<number>): Array<[number, number]> {
  if (sorted.length === 0) return [];
  const ps: number[] = [];
  for (let p = 1; p < 90; p += 1) ps.push(p);
  for (let p = 90; p < 99; p += 0.25) ps.push(p);
  for (let p = 99; p < 99.9; p += 0.05) ps.push(p);
  ps.push(99.9, 99.95, 99.99, 100);
  return ps.map((p) => [round(p, 3), percentileSorted(sorted, p)] as [number, number]);
}

/** Pointwise median of several CDFs sampled at the same percentiles (one per round). */
export function medianCdf(curves: ReadonlyArray<ReadonlyArray<[number, number]>>): Array<[number, number]> {
  const first = curves[0];
  if (first === undefined) return [];
  return first.map(([p], i) => [p, median(curves.map((c) => c[i]?.[1] ?? Number.NaN))] as [number, number]);
}

/** Round to `digits` decimals, keeping NaN as NaN. */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** a / b, or null when it cannot be computed. */
export function ratio(a: number, b: number): number | null {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : null;
}

/**
 * Per-minute rollups of invocation records (issue 10): one row per (app, function, minute) with
 * counts, sums and a fixed-bucket duration histogram, written in the SAME transaction as the
 * records they summarise. Charts and usage read these rows, never the raw records, so a day of a
 * busy function is 1,440 rows whatever its traffic. The rollups mirror the stored records: when a
 * record replaces an earlier one with its id (an async event's later attempt), the earlier one's
 * contribution is taken back first. They outlive the records' retention (usage history).
 */
import type { InvocationRecord } from '../domain/index.js';

/** Upper bounds (ms, inclusive) of the duration histogram's buckets; a last bucket holds the rest. */
export const HISTOGRAM_BOUNDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000] as const;
export const HISTOGRAM_BUCKETS = HISTOGRAM_BOUNDS.length + 1;

/** The counters of one function in one minute. */
export interface MinuteRollup {
  app: string;
  function: string;
  /** Epoch ms of the minute's start. */
  minute: number;
  invocations: number;
  /** Records whose status is not ok (throttles included). */
  errors: number;
  throttles: number;
  coldStarts: number;
  durationMs: number;
  billedMs: number;
  /** Σ memoryMb × billedMs: exact in integers; GB-seconds = this / 1024 / 1000. */
  mbBilledMs: number;
  /** The longest duration seen (not lowered when a record is replaced: an upper bound). */
  maxDurationMs: number;
  /** Counts per HISTOGRAM_BOUNDS bucket (HISTOGRAM_BUCKETS entries). */
  histogram: number[];
}

export interface RollupQuery {
  /** Minutes starting at or after this epoch ms… */
  since: number;
  /** …and before this one. */
  until: number;
  app?: string | undefined;
  function?: string | undefined;
  /** Only these apps (an app-limited key's view); undefined = every app. */
  apps?: readonly string[] | undefined;
}

export const MINUTE_MS = 60_000;

export function minuteOf(epochMs: number): number {
  return Math.floor(epochMs / MINUTE_MS) * MINUTE_MS;
}

export function bucketOf(durationMs: number): number {
  const i = HISTOGRAM_BOUNDS.findIndex((b) => durationMs <= b);
  return i < 0 ? HISTOGRAM_BOUNDS.length : i;
}

export function emptyRollup(app: string, fn: string, minute: number): MinuteRollup {
  return {
    app,
    function: fn,
    minute,
    invocations: 0,
    errors: 0,
    throttles: 0,
    coldStarts: 0,
    durationMs: 0,
    billedMs: 0,
    mbBilledMs: 0,
    maxDurationMs: 0,
    histogram: new Array<number>(HISTOGRAM_BUCKETS).fill(0),
  };
}

/** `into` plus `d`, counter by counter (mutates and returns `into`). */
export function addRollup(into: MinuteRollup, d: MinuteRollup): MinuteRollup {
  into.invocations += d.invocations;
  into.errors += d.errors;
  into.throttles += d.throttles;
  into.coldStarts += d.coldStarts;
  into.durationMs += d.durationMs;
  into.billedMs += d.billedMs;
  into.mbBilledMs += d.mbBilledMs;
  into.maxDurationMs = Math.max(into.maxDurationMs, d.maxDurationMs);
  for (let i = 0; i < into.histogram.length; i++) into.histogram[i]! += d.histogram[i] ?? 0;
  return into;
}

/** Add (`sign` 1) or take back (-1) one record's contribution. */
export function applyRecord(into: MinuteRollup, r: InvocationRecord, sign: 1 | -1): void {
  into.invocations += sign;
  if (r.status !== 'ok') into.errors += sign;
  if (r.status === 'throttled') into.throttles += sign;
  if (r.coldStart) into.coldStarts += sign;
  into.durationMs += sign * r.durationMs;
  into.billedMs += sign * r.billedMs;
  into.mbBilledMs += sign * r.memoryMb * r.billedMs;
  if (sign > 0) into.maxDurationMs = Math.max(into.maxDurationMs, r.durationMs);
  into.histogram[bucketOf(r.durationMs)]! += sign;
}

/** The net rollup deltas of a change: records added, and the stored records they replace taken back. */
export function rollupDeltas(added: readonly InvocationRecord[], replaced: readonly InvocationRecord[]): MinuteRollup[] {
  const out = new Map<string, MinuteRollup>();
  const apply = (r: InvocationRecord, sign: 1 | -1): void => {
    const minute = minuteOf(r.startedAt);
    const key = `${r.app}\0${r.function}\0${minute}`;
    let row = out.get(key);
    if (row === undefined) out.set(key, (row = emptyRollup(r.app, r.function, minute)));
    applyRecord(row, r, sign);
  };
  for (const r of replaced) apply(r, -1);
  for (const r of added) apply(r, 1);
  return [...out.values()];
}

/**
 * Which records of a batch will be stored, and which stored records they replace, following
 * insertInvocations' rule: on a repeated id the later start wins (equal: the later in the batch).
 */
export function netChange(batch: readonly InvocationRecord[], stored: (id: string) => InvocationRecord | undefined): { added: InvocationRecord[]; replaced: InvocationRecord[] } {
  const latest = new Map<string, InvocationRecord>();
  for (const r of batch) {
    const held = latest.get(r.id);
    if (held === undefined || r.startedAt >= held.startedAt) latest.set(r.id, r);
  }
  const added: InvocationRecord[] = [];
  const replaced: InvocationRecord[] = [];
  for (const r of latest.values()) {
    const old = stored(r.id);
    if (old !== undefined && r.startedAt < old.startedAt) continue;
    if (old !== undefined) replaced.push(old);
    added.push(r);
  }
  return { added, replaced };
}

/** Whether a rollup row is selected by a query (the memory store's filter; SQLite says it in SQL). */
export function matchesRollup(row: MinuteRollup, q: RollupQuery): boolean {
  if (row.minute < q.since || row.minute >= q.until) return false;
  if (q.app !== undefined && row.app !== q.app) return false;
  if (q.function !== undefined && row.function !== q.function) return false;
  return q.apps === undefined || q.apps.includes(row.app);
}

/**
 * The q-quantile (0..1) of the durations counted in `histogram`, interpolated linearly inside
 * its bucket (the last bucket ends at `maxMs`); null when it counts nothing.
 */
export function quantile(histogram: readonly number[], maxMs: number, q: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    const n = histogram[i]!;
    if (n <= 0) continue;
    if (seen + n >= rank) {
      const lo = i === 0 ? 0 : HISTOGRAM_BOUNDS[i - 1]!;
      const hi = Math.max(lo, Math.min(HISTOGRAM_BOUNDS[i] ?? maxMs, maxMs));
      return lo + ((hi - lo) * (rank - seen)) / n;
    }
    seen += n;
  }
  return maxMs;
}

/** The column of each histogram bucket in the rollup tables (h0..h15), in bucket order. */
export const HISTOGRAM_COLUMNS = Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => `h${i}`);

/** The columns a rollup row adds up when two batches meet on one minute (both SQL backends). */
export const ROLLUP_COUNTERS = ['invocations', 'errors', 'throttles', 'cold_starts', 'duration_ms', 'billed_ms', 'mb_billed_ms', ...HISTOGRAM_COLUMNS];

/** A row of `invocation_rollups` (either SQL backend) as a MinuteRollup. */
export function rollupFromRow(r: { app: string; function: string } & Record<string, unknown>): MinuteRollup {
  const n = (column: string): number => r[column] as number;
  return {
    app: r.app,
    function: r.function,
    minute: n('minute'),
    invocations: n('invocations'),
    errors: n('errors'),
    throttles: n('throttles'),
    coldStarts: n('cold_starts'),
    durationMs: n('duration_ms'),
    billedMs: n('billed_ms'),
    mbBilledMs: n('mb_billed_ms'),
    maxDurationMs: n('max_duration_ms'),
    histogram: HISTOGRAM_COLUMNS.map(n),
  };
}

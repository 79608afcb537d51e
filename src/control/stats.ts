/**
 * The numbers behind `GET /v1/stats` (charts) and `GET /v1/usage` (metering), computed from the
 * store's per-minute rollups only: a chart of a day is at most 1,440 rows per function, whatever
 * the traffic, and never a scan of the raw records.
 */
import { costOf, gbSecondsOf, type PriceSheet, type StatsAnswer, type StatsPoint, type UsageAnswer, type UsageLine } from '../domain/index.js';
import { addRollup, emptyRollup, MINUTE_MS, quantile } from '../store/index.js';
import type { MinuteRollup, RollupQuery, Store } from '../store/index.js';

export const STEPS = [60, 300, 3600] as const;
/** More points than any chart draws; a wider range needs a larger step. */
const MAX_POINTS = 2000;

/** Which rollups a caller asks for and may see: `apps` is the key's list (empty = every app). */
export interface StatsScope {
  app?: string | undefined;
  function?: string | undefined;
  keyApps: readonly string[];
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 604_800_000 };

/** A time as epoch ms, an ISO 8601 time, or a duration back from `now` (`90s`, `15m`, `1h`, `7d`); undefined if none of these. */
export function parseWhen(v: string, now: number): number | undefined {
  const rel = /^(\d+)([smhdw])$/.exec(v.trim());
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]!]!;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

function rollupQuery(scope: StatsScope, since: number, until: number): RollupQuery | undefined {
  const limited = scope.keyApps.length > 0;
  if (limited && scope.app !== undefined && !scope.keyApps.includes(scope.app)) return undefined;
  return { since, until, app: scope.app, function: scope.function, ...(limited ? { apps: scope.keyApps } : {}) };
}

function point(r: MinuteRollup, prices: PriceSheet): StatsPoint {
  const gbSeconds = gbSecondsOf(r.mbBilledMs);
  const none = r.invocations === 0;
  const q = (p: number): number | null => (none ? null : round2(quantile(r.histogram, r.maxDurationMs, p) ?? 0));
  return {
    invocations: r.invocations,
    errors: r.errors,
    throttles: r.throttles,
    coldStarts: r.coldStarts,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    gbSeconds,
    cost: costOf(prices, r.invocations - r.throttles, gbSeconds),
  };
}

/** Buckets of `step` seconds covering [since, until), zeros where nothing ran. */
export async function stats(store: Store, scope: StatsScope, since: number, until: number, step: number, prices: PriceSheet): Promise<StatsAnswer> {
  const stepMs = step * 1000;
  const from = Math.floor(since / stepMs) * stepMs;
  const to = Math.max(from + stepMs, Math.ceil(until / stepMs) * stepMs);
  const buckets = Array.from({ length: Math.min(MAX_POINTS, (to - from) / stepMs) }, (_, i) => emptyRollup('', '', from + i * stepMs));
  const end = from + buckets.length * stepMs;
  const total = emptyRollup('', '', from);
  const q = rollupQuery(scope, from, end);
  for (const r of q ? await store.queryRollups(q) : []) {
    addRollup(buckets[Math.floor((r.minute - from) / stepMs)]!, r);
    addRollup(total, r);
  }
  return { from, to: end, step, series: buckets.map((b) => ({ t: b.minute, ...point(b, prices) })), total: point(total, prices) };
}

/** Invocations, GB-seconds and cost per function since `since` (minutes starting at or after it). */
export async function usage(store: Store, scope: StatsScope, since: number, now: number, prices: PriceSheet): Promise<UsageAnswer> {
  const from = Math.floor(since / MINUTE_MS) * MINUTE_MS;
  const q = rollupQuery(scope, from, now + 1);
  const per = new Map<string, MinuteRollup>();
  const total = emptyRollup('', '', from);
  for (const r of q ? await store.queryRollups(q) : []) {
    const key = `${r.app}\0${r.function}`;
    let row = per.get(key);
    if (row === undefined) per.set(key, (row = emptyRollup(r.app, r.function, from)));
    addRollup(row, r);
    addRollup(total, r);
  }
  const line = (r: MinuteRollup): UsageLine => {
    const gbSeconds = gbSecondsOf(r.mbBilledMs);
    return { invocations: r.invocations, gbSeconds, cost: costOf(prices, r.invocations - r.throttles, gbSeconds) };
  };
  const functions = [...per.values()].sort((a, b) => a.app.localeCompare(b.app) || a.function.localeCompare(b.function)).map((r) => ({ app: r.app, function: r.function, ...line(r) }));
  return { from, to: now, total: line(total), functions };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

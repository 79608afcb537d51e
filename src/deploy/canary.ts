/**
 * The canary's decision, as pure functions over its record (canary-runner.ts applies them).
 *
 * A canary deploy's life:
 *
 *   running ──(its window ends: `endsAt` on the clock)──────────────────────────▶ promoted
 *      │        the new versions become active; the old ones drain
 *      └──(a new version's error rate exceeds its old version's by more than
 *          maxErrorRate points, once the new version has MIN_SAMPLE requests)──▶ rolled-back
 *               the old versions stay active; the new ones drain
 *
 * Error rates are counted per function over the whole window, from the invocation records as they
 * are made: an invocation counts when it ran (throttled and cancelled ones did not, so they are
 * left out), and is an error when it failed (error, timeout, out of memory, crash) or answered an
 * HTTP status of 500 or more.
 */
import type { CanaryFunction, CanaryRecord, InvocationRecord } from '../domain/index.js';

/** Requests a new version must have served before its error rate can roll a canary back. */
export const MIN_SAMPLE = 10;

/** Whether the record counts, and as an error: undefined when the invocation never ran. */
export function outcomeOf(r: Pick<InvocationRecord, 'status' | 'httpStatus'>): 'ok' | 'error' | undefined {
  if (r.status === 'throttled' || r.status === 'cancelled') return undefined;
  return r.status !== 'ok' || (r.httpStatus ?? 0) >= 500 ? 'error' : 'ok';
}

/** Count the record into the canary (true when it was one of its versions' invocations). */
export function countRecord(c: CanaryRecord, r: InvocationRecord): boolean {
  if (c.state !== 'running' || r.app !== c.app) return false;
  const f = c.functions.find((x) => x.name === r.function);
  const outcome = outcomeOf(r);
  if (!f || outcome === undefined) return false;
  const side = r.version === f.to ? f.new : r.version === f.from ? f.old : undefined;
  if (!side) return false;
  side.requests++;
  if (outcome === 'error') side.errors++;
  return true;
}

const rate = (n: { requests: number; errors: number }): number => (n.requests === 0 ? 0 : (n.errors / n.requests) * 100);
const pct = (x: number): string => `${Number(x.toFixed(1))}%`;

/** Why the canary must roll back now, or undefined. */
export function rollbackReason(c: CanaryRecord): string | undefined {
  for (const f of c.functions) {
    if (f.new.requests < MIN_SAMPLE) continue;
    const over = rate(f.new) - rate(f.old);
    if (over > c.maxErrorRate) return describe(f, c.maxErrorRate);
  }
  return undefined;
}

function describe(f: CanaryFunction, allowed: number): string {
  return (
    `${f.name} v${f.to} failed ${pct(rate(f.new))} of its requests (${f.new.errors} of ${f.new.requests}) ` +
    `against ${pct(rate(f.old))} on v${f.from} (${f.old.errors} of ${f.old.requests}), more than the ${pct(allowed)} allowed`
  );
}

/** What to do with a running canary at `now`. */
export function decide(c: CanaryRecord, now: number): { action: 'wait' } | { action: 'promote' | 'rollback'; reason: string } {
  const why = rollbackReason(c);
  if (why !== undefined) return { action: 'rollback', reason: why };
  if (now >= c.endsAt) return { action: 'promote', reason: `no error threshold crossed in ${formatDuration(c.endsAt - c.startedAt)}` };
  return { action: 'wait' };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `30s`, `5m`, `1h`, `1500ms` → ms; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `10%` or `10` → 10; undefined when not a number in [min, max]. */
export function parsePercent(text: string, min: number, max: number): number | undefined {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= min && n <= max ? n : undefined;
}

/** The canary half of `nimbus deploy`: `--canary 10% --for 5m [--max-error-rate 2%]`, `--status`, `--abort`. */
import { InvalidArgumentError } from 'commander';
import type { CanaryRecord, CanaryRequest, CanaryStatus } from '../../client/alias-types.js';
import { NimbusError } from '../../shared/errors.js';
import { formatTable, formatTime } from '../output.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `30s`, `5m`, `1h` → ms (1 s to 24 h). */
export function parseDurationArg(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  const ms = m ? Math.round(Number(m[1]) * UNITS[m[2]!]!) : NaN;
  if (!(ms >= 1000 && ms <= 86_400_000)) throw new InvalidArgumentError('expected a duration from 1s to 24h, e.g. 30s, 5m or 1h');
  return ms;
}

/** `10%` or `10` → 10, a whole percentage from 1 to 99. */
export function parseShare(value: string): number {
  const m = /^(\d+)%?$/.exec(value.trim());
  const n = Number(m?.[1]);
  if (!m || n < 1 || n > 99) throw new InvalidArgumentError('expected a whole percentage from 1 to 99, e.g. 10%');
  return n;
}

/** `2%`, `0.5` → percentage points from 0 to 100. */
export function parseRate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(value.trim());
  const n = Number(m?.[1]);
  if (!m || n > 100) throw new InvalidArgumentError('expected a percentage from 0 to 100, e.g. 2%');
  return n;
}

export interface CanaryFlags {
  canary?: number;
  for?: number;
  maxErrorRate?: number;
}

/** The canary request the flags ask for, or undefined; BAD_REQUEST when they are incomplete. */
export function canaryRequest(opts: CanaryFlags): CanaryRequest | undefined {
  if (opts.canary === undefined) {
    if (opts.for !== undefined || opts.maxErrorRate !== undefined) throw new NimbusError('BAD_REQUEST', '--for and --max-error-rate go with --canary, e.g. `nimbus deploy --canary 10% --for 5m`');
    return undefined;
  }
  if (opts.for === undefined) throw new NimbusError('BAD_REQUEST', '--canary needs --for: how long the new versions take their share before they are promoted, e.g. --for 5m');
  return { weight: opts.canary, durationMs: opts.for, ...(opts.maxErrorRate === undefined ? {} : { maxErrorRate: opts.maxErrorRate }) };
}

export function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

const OUTCOME: Record<CanaryRecord['state'], string> = { running: 'running', promoted: 'promoted', 'rolled-back': 'rolled back' };

/** What `nimbus deploy --status` prints. */
export function canaryLines(c: CanaryStatus): string[] {
  const lines = [`canary deploy of app ${c.app}: ${OUTCOME[c.state]}`];
  lines.push(`  ${c.weight}% of the traffic on the new versions, max error rate +${c.maxErrorRate}%, started ${formatTime(c.startedAt)}`);
  lines.push(c.state === 'running' ? `  ${formatSpan(c.elapsedMs)} elapsed, ${formatSpan(c.remainingMs)} left` : `  ended after ${formatSpan(c.elapsedMs)}: ${c.reason ?? ''}`);
  const rows = c.functions.map((f) => [`  ${f.name}`, `v${f.from}`, String(f.old.requests), String(f.old.errors), `v${f.to}`, String(f.new.requests), String(f.new.errors)]);
  lines.push(formatTable(['  FUNCTION', 'OLD', 'REQUESTS', 'ERRORS', 'NEW', 'REQUESTS', 'ERRORS'], rows));
  return lines;
}

/** The line `nimbus deploy --canary` adds to its summary. */
export function canaryStarted(c: CanaryRecord): string {
  const fns = c.functions.map((f) => `${f.name} v${f.from}→v${f.to}`).join(', ');
  return `canary: ${c.weight}% of the traffic on ${fns} until ${formatTime(c.endsAt)}, then promoted unless the error rate rises by more than ${c.maxErrorRate}% (see \`nimbus deploy --status\`)`;
}

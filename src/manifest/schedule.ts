/**
 * Schedule strings of `schedule:` triggers: a cron expression (5 fields, or 6 with seconds
 * first), an AWS `cron(...)` expression (aws-cron.ts), both checked by croner (the scheduler's
 * own parser, so what passes here also runs there), or `rate(N minutes|hours|days)`. Time zones
 * are IANA names, checked the same way.
 */
import { Cron } from 'croner';
import type { CronOptions } from 'croner';
import { AWS_CRON_OPTIONS, awsCronPattern, isAwsCron } from './aws-cron.js';

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_SECONDS = { minute: 60, hour: 3600, day: 86400 } as const;
const RATE_EXAMPLE = 'write it as "rate(N minutes)", "rate(N hours)" or "rate(N days)" with N ≥ 1, e.g. "rate(5 minutes)"';
const CRON_EXAMPLE = 'use 5 fields "minute hour day-of-month month day-of-week" (e.g. "0 2 * * *"), 6 with seconds first, AWS "cron(0 12 * * ? *)", or "rate(5 minutes)"';

/** How croner runs a cron schedule (not a rate): the pattern and its options. */
export interface CronSpec {
  pattern: string;
  options: Pick<CronOptions, 'mode' | 'alternativeWeekdays' | 'sloppyRanges'>;
}

/**
 * The croner pattern of a cron schedule: plain cron as written, AWS `cron(...)` converted.
 * @throws Error saying what is wrong with an AWS expression.
 * @example cronSpec('cron(0 12 * * ? *)').pattern // '0 0 12 * * ? *'
 */
export function cronSpec(schedule: string): CronSpec {
  if (!isAwsCron(schedule)) return { pattern: schedule, options: { mode: '5-or-6-parts' } };
  const aws = awsCronPattern(schedule);
  if ('problem' in aws) throw new Error(aws.problem);
  return { pattern: aws.pattern, options: AWS_CRON_OPTIONS };
}

/**
 * The interval of a `rate(...)` schedule in seconds, or null when the string is not a rate.
 * @example parseRate('rate(5 minutes)') // 300
 */
export function parseRate(schedule: string): number | null {
  const match = RATE.exec(schedule);
  if (match === null) return null;
  const [, count = '', unit = ''] = match;
  const base = UNIT_SECONDS[unit.replace(/s$/, '') as keyof typeof UNIT_SECONDS];
  return Number(count) * base;
}

/**
 * Checks a schedule string and optional time zone. Returns what is wrong and what to write
 * instead, or null when the schedule is valid.
 */
export function scheduleProblem(schedule: string, timezone: string | null = null): string | null {
  if (schedule.trim() === '') return `the schedule is empty: ${CRON_EXAMPLE}`;
  if (schedule.startsWith('rate')) {
    const seconds = parseRate(schedule);
    if (seconds === null || seconds === 0) return `"${schedule}" is not a valid rate: ${RATE_EXAMPLE}`;
    if (timezone !== null) return 'a time zone applies only to cron expressions, not to rate(...): remove timezone';
    return null;
  }
  const aws = isAwsCron(schedule);
  if (aws) {
    const converted = awsCronPattern(schedule);
    if ('problem' in converted) return converted.problem;
  } else {
    const fields = schedule.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) return `"${schedule}" has ${fields} field${fields === 1 ? '' : 's'}: ${CRON_EXAMPLE}`;
  }
  let cron: Cron;
  try {
    const { pattern, options } = cronSpec(schedule);
    cron = new Cron(pattern, { paused: true, ...options });
  } catch (err) {
    return `"${schedule}" is not a valid ${aws ? 'AWS cron' : 'cron'} expression (${cronReason(err)}): ${CRON_EXAMPLE}`;
  }
  if (cron.nextRun() === null) return `"${schedule}" never fires (no such date${aws ? ', or only in past years' : ''}): check the day${aws ? ', month and year' : ' and month'} fields`;
  return null;
}

/** Whether croner (and so the scheduler) knows the IANA time zone, e.g. `Europe/Paris`. */
export function timezoneProblem(timezone: string): string | null {
  const hint = 'use an IANA time zone name such as "Europe/Paris", "America/New_York" or "UTC"';
  if (timezone.trim() === '') return `the time zone is empty: ${hint}`;
  try {
    // A paused job only resolves the zone when asked for a run time.
    new Cron('0 0 * * *', { paused: true, timezone }).nextRun();
    return null;
  } catch {
    return `unknown time zone "${timezone}": ${hint}`;
  }
}

function cronReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^CronPattern:\s*/, '').replace(/\.$/, '');
}

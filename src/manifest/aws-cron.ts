/**
 * AWS `cron(...)` expressions (EventBridge / CloudWatch Events, as serverless.yml and SAM write
 * them): 6 fields `minutes hours day-of-month month day-of-week year`, with `?`, `L`, `W`, `#`,
 * names (MON-FRI, JAN) and day-of-week numbered 1-7 = SUN-SAT. croner runs them as a 7-part
 * pattern (a seconds field of 0 first) in Quartz weekday mode, so nothing is re-implemented:
 * this module only checks what AWS itself refuses, with messages that say what to write.
 */

export const AWS_CRON_EXAMPLE = 'write "cron(minutes hours day-of-month month day-of-week year)" with "?" in day-of-month or day-of-week, e.g. "cron(0 12 * * ? *)"';

/** The croner options an AWS expression runs with (see {@link awsCronPattern}). */
export const AWS_CRON_OPTIONS = { mode: '7-part', alternativeWeekdays: true, sloppyRanges: true } as const;

const WRAPPED = /^cron\((.*)\)$/s;
const FIELDS = ['minutes', 'hours', 'day-of-month', 'month', 'day-of-week', 'year'] as const;
// What AWS allows in each field, beyond digits, names and , - * /.
const SPECIAL: Record<(typeof FIELDS)[number], RegExp> = {
  minutes: /^[\d,*/-]+$/,
  hours: /^[\d,*/-]+$/,
  'day-of-month': /^([\d,*/?-]+|L|LW|\d{1,2}W)$/,
  month: /^[\dA-Za-z,*/-]+$/,
  'day-of-week': /^([\dA-Za-z,*/?-]+|[1-7A-Za-z]{1,3}L|[1-7A-Za-z]{1,3}#[1-5])$/,
  year: /^[\d,*/-]+$/,
};

/** Whether the schedule is written in AWS's `cron(...)` form. */
export function isAwsCron(schedule: string): boolean {
  return schedule.trim().startsWith('cron(');
}

/**
 * The croner pattern of an AWS expression, or the problem with it.
 * @example awsCronPattern('cron(0 12 * * ? *)') // { pattern: '0 0 12 * * ? *' }
 */
export function awsCronPattern(schedule: string): { pattern: string } | { problem: string } {
  const match = WRAPPED.exec(schedule.trim());
  if (match === null) return { problem: `"${schedule}" is missing its closing ")": ${AWS_CRON_EXAMPLE}` };
  const fields = (match[1] ?? '').trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 6) {
    return { problem: `"${schedule}" has ${fields.length} field${fields.length === 1 ? '' : 's'}, AWS cron needs 6: ${AWS_CRON_EXAMPLE}` };
  }
  for (const [i, name] of FIELDS.entries()) {
    const value = fields[i] ?? '';
    if (!SPECIAL[name].test(value)) return { problem: `"${value}" is not allowed in the ${name} field of "${schedule}": ${AWS_CRON_EXAMPLE}` };
  }
  const [, , dom = '', , dow = ''] = fields;
  // AWS refuses both (and neither): one of the two day fields must be "?".
  if ((dom === '?') === (dow === '?')) {
    return { problem: `"${schedule}" must have "?" in exactly one of day-of-month ("${dom}") and day-of-week ("${dow}"), as AWS requires: ${AWS_CRON_EXAMPLE}` };
  }
  return { pattern: ['0', ...fields].join(' ') };
}

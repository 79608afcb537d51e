import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { slotsOf } from './slots.js';
import { scheduleProblem } from '../manifest/schedule.js';

// Tuesday 2026-12-01 00:00 UTC.
const FROM = Date.parse('2026-11-30T22:00:00Z');

/** The next `n` fire times of a schedule, as the scheduler computes them. */
function next(schedule: string, n = 3, timezone: string | null = null): string[] {
  const slots = slotsOf({ schedule, timezone });
  const out: string[] = [];
  let after = FROM;
  for (let i = 0; i < n; i++) {
    const t = slots.next(after);
    if (t === null) break;
    out.push(new Date(t).toISOString().replace(':00.000Z', 'Z'));
    after = t;
  }
  return out;
}

describe('AWS cron(...) schedules', () => {
  it('fires daily at noon UTC: cron(0 12 * * ? *)', () => {
    assert.deepEqual(next('cron(0 12 * * ? *)'), ['2026-12-01T12:00Z', '2026-12-02T12:00Z', '2026-12-03T12:00Z']);
  });

  it('steps from a start value: cron(0/15 * * * ? *)', () => {
    assert.deepEqual(next('cron(0/15 * * * ? *)'), ['2026-11-30T22:15Z', '2026-11-30T22:30Z', '2026-11-30T22:45Z']);
  });

  it('numbers days of the week 1-7 = SUN-SAT, and knows names', () => {
    // 2-6 is MON-FRI in AWS numbering; Saturday 2026-12-05 and Sunday 12-06 are skipped.
    const weekdays = ['2026-12-01T10:00Z', '2026-12-02T10:00Z', '2026-12-03T10:00Z', '2026-12-04T10:00Z', '2026-12-07T10:00Z'];
    assert.deepEqual(next('cron(0 10 ? * 2-6 *)', 5), weekdays);
    assert.deepEqual(next('cron(0 10 ? * MON-FRI *)', 5), weekdays);
    assert.deepEqual(next('cron(0 18 ? * 1 *)', 2), ['2026-12-06T18:00Z', '2026-12-13T18:00Z']);
  });

  it('supports L, W and #', () => {
    assert.deepEqual(next('cron(0 8 L * ? *)'), ['2026-12-31T08:00Z', '2027-01-31T08:00Z', '2027-02-28T08:00Z']);
    // 2027-05-15 is a Saturday: the nearest weekday is Friday the 14th.
    assert.deepEqual(next('cron(0 8 15W 5 ? *)', 1), ['2027-05-14T08:00Z']);
    // Third Friday (6 in AWS numbering), and the last Friday.
    assert.deepEqual(next('cron(0 9 ? * 6#3 *)'), ['2026-12-18T09:00Z', '2027-01-15T09:00Z', '2027-02-19T09:00Z']);
    assert.deepEqual(next('cron(0 9 ? * FRI#3 *)', 1), ['2026-12-18T09:00Z']);
    assert.deepEqual(next('cron(0 9 ? * 6L *)', 2), ['2026-12-25T09:00Z', '2027-01-29T09:00Z']);
  });

  it('honours the year field and a time zone', () => {
    assert.deepEqual(next('cron(0 12 1 JAN ? 2027)', 3), ['2027-01-01T12:00Z']);
    assert.deepEqual(next('cron(0 9 * * ? *)', 1, 'Europe/Paris'), ['2026-12-01T08:00Z']);
  });

  it('is accepted where plain cron is, and bad ones get a reason', () => {
    for (const ok of ['cron(0 12 * * ? *)', 'cron(15 10 ? * 6L 2026-2099)', 'cron(0/5 8-17 ? * MON-FRI *)']) assert.equal(scheduleProblem(ok), null, ok);
    assert.match(scheduleProblem('cron(0 12 * * *)') ?? '', /has 5 fields, AWS cron needs 6/);
    assert.match(scheduleProblem('cron(0 12 * * * *)') ?? '', /"\?" in exactly one of day-of-month \("\*"\) and day-of-week \("\*"\)/);
    assert.match(scheduleProblem('cron(0 12 1 * 2 *)') ?? '', /"\?" in exactly one of/);
    assert.match(scheduleProblem('cron(0 12 * * ? *') ?? '', /missing its closing "\)"/);
    assert.match(scheduleProblem('cron(0 25 * * ? *)') ?? '', /not a valid AWS cron expression/);
    assert.match(scheduleProblem('cron(0 12 1W * ? L)') ?? '', /"L" is not allowed in the year field/);
    assert.match(scheduleProblem('cron(0 12 1 1 ? 2020)') ?? '', /never fires .*past years/);
  });
});

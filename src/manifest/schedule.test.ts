import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { NimbusError } from '../shared/errors.js';
import { parseManifest } from './parse.js';
import { parseRate, scheduleProblem, timezoneProblem } from './schedule.js';

describe('schedules', () => {
  it('reads rates in seconds, singular or plural', () => {
    assert.equal(parseRate('rate(5 minutes)'), 300);
    assert.equal(parseRate('rate(1 minute)'), 60);
    assert.equal(parseRate('rate(2 hours)'), 7200);
    assert.equal(parseRate('rate(1 day)'), 86400);
    assert.equal(parseRate('rate(5 weeks)'), null);
    assert.equal(parseRate('rate( 5 minutes)'), null);
    assert.equal(parseRate('0 2 * * *'), null);
  });

  it('accepts what croner runs and rejects the rest with a reason', () => {
    for (const ok of ['0 2 * * *', '*/15 * * * *', '0 0 2 * * MON-FRI', '0 0 29 2 *', 'rate(10 minutes)']) {
      assert.equal(scheduleProblem(ok), null, ok);
    }
    assert.match(scheduleProblem('0 2 * * 8') ?? '', /Invalid value for dayOfWeek: 8/);
    assert.match(scheduleProblem('@daily') ?? '', /has 1 field:/);
    assert.match(scheduleProblem('') ?? '', /the schedule is empty/);
    assert.match(scheduleProblem('rate(0 hours)') ?? '', /not a valid rate/);
    assert.match(scheduleProblem('rate(1 hour)', 'UTC') ?? '', /applies only to cron expressions/);
    assert.equal(scheduleProblem('0 2 * * *', 'UTC'), null);
  });

  it('takes AWS cron(...) in nimbus.yaml, and reports a bad one at its key', () => {
    const yaml = (schedule: string) => `app: a\nfunctions:\n  f:\n    handler: f.ts\n    triggers:\n      - schedule: "${schedule}"\n        timezone: Europe/Paris\n`;
    const spec = parseManifest(yaml('cron(0 12 ? * MON-FRI *)'));
    assert.deepEqual(spec.functions['f']?.triggers, [{ type: 'schedule', schedule: 'cron(0 12 ? * MON-FRI *)', timezone: 'Europe/Paris', catchUp: false }]);
    assert.throws(
      () => parseManifest(yaml('cron(0 12 * * * *)')),
      (err: unknown) =>
        err instanceof NimbusError &&
        err.code === 'MANIFEST_INVALID' &&
        /nimbus\.yaml:6:\d+ functions\.f\.triggers\[0\]\.schedule: "cron\(0 12 \* \* \* \*\)" must have "\?" in exactly one of day-of-month/.test(err.message),
    );
  });

  it('knows IANA time zones', () => {
    assert.equal(timezoneProblem('Europe/Paris'), null);
    assert.equal(timezoneProblem('UTC'), null);
    assert.match(timezoneProblem('Europe/Atlantis') ?? '', /unknown time zone "Europe\/Atlantis"/);
    assert.match(timezoneProblem(' ') ?? '', /the time zone is empty/);
  });
});

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { CanaryRecord, InvocationRecord } from '../domain/index.js';
import { FakeClock } from '../shared/clock.js';
import { countRecord, decide, MIN_SAMPLE, outcomeOf, parseDuration } from './canary.js';
import { CanaryRunner, type Schedule } from './canary-runner.js';

const canary = (over: Partial<CanaryRecord> = {}): CanaryRecord => ({
  app: 'shop',
  state: 'running',
  weight: 10,
  startedAt: 0,
  endsAt: 300_000,
  maxErrorRate: 2,
  functions: [{ name: 'api', from: 1, to: 2, old: { requests: 0, errors: 0 }, new: { requests: 0, errors: 0 } }],
  reason: null,
  finishedAt: null,
  ...over,
});

const record = (version: number, status: InvocationRecord['status'] = 'ok', httpStatus: number | null = 200): InvocationRecord => ({
  id: 'x',
  app: 'shop',
  function: 'api',
  version,
  trigger: 'http',
  startedAt: 0,
  durationMs: 1,
  billedMs: 1,
  memoryMb: 128,
  maxMemoryMb: null,
  coldStart: false,
  initMs: null,
  status,
  errorCode: null,
  errorMessage: null,
  httpStatus,
  traceId: null,
});

/** Timers driven by hand: `fire()` runs those due at the fake clock's time. */
function fakeSchedule(clock: FakeClock): { schedule: Schedule; fire(): void; pending(): number } {
  let timers: Array<{ at: number; run: () => void }> = [];
  return {
    schedule: (run, ms) => {
      const t = { at: clock.now() + ms, run };
      timers.push(t);
      return () => (timers = timers.filter((x) => x !== t));
    },
    fire() {
      const due = timers.filter((t) => t.at <= clock.now());
      timers = timers.filter((t) => t.at > clock.now());
      for (const t of due) t.run();
    },
    pending: () => timers.length,
  };
}

describe('canary decision', () => {
  it('counts failures and 5xx answers as errors, and leaves out invocations that never ran', () => {
    assert.equal(outcomeOf(record(1)), 'ok');
    assert.equal(outcomeOf(record(1, 'error', 502)), 'error');
    assert.equal(outcomeOf(record(1, 'ok', 503)), 'error');
    assert.equal(outcomeOf(record(1, 'timeout', null)), 'error');
    assert.equal(outcomeOf(record(1, 'throttled', 429)), undefined);
    assert.equal(outcomeOf(record(1, 'cancelled', 499)), undefined);
    const c = canary();
    assert.equal(countRecord(c, record(2, 'error')), true);
    assert.equal(countRecord(c, record(1)), true);
    assert.equal(countRecord(c, record(7)), false, 'another version');
    assert.equal(countRecord(c, { ...record(2), function: 'other' }), false);
    assert.deepEqual(
      [c.functions[0]!.old, c.functions[0]!.new],
      [
        { requests: 1, errors: 0 },
        { requests: 1, errors: 1 },
      ],
    );
  });

  it(`does not roll back before the new version has ${MIN_SAMPLE} requests, however bad the first ones`, () => {
    const c = canary();
    for (let i = 0; i < MIN_SAMPLE - 1; i++) countRecord(c, record(2, 'error'));
    assert.deepEqual(decide(c, 1000), { action: 'wait' });
    countRecord(c, record(2, 'error'));
    const verdict = decide(c, 1000);
    assert.equal(verdict.action, 'rollback');
    assert.match((verdict as { reason: string }).reason, /api v2 failed 100% of its requests \(10 of 10\) against 0% on v1 \(0 of 0\), more than the 2% allowed/);
  });

  it("rolls back only when the new error rate exceeds the old one's by more than the threshold", () => {
    const c = canary({ maxErrorRate: 5 });
    const f = c.functions[0]!;
    f.old = { requests: 100, errors: 10 };
    f.new = { requests: 20, errors: 3 };
    assert.equal(decide(c, 0).action, 'wait', '15% against 10%: 5 points, not more');
    f.new = { requests: 20, errors: 4 };
    assert.equal(decide(c, 0).action, 'rollback', '20% against 10%');
  });

  it('promotes when the window ends without a rollback', () => {
    const c = canary();
    c.functions[0]!.new = { requests: 50, errors: 1 };
    c.functions[0]!.old = { requests: 450, errors: 9 };
    assert.deepEqual(decide(c, 299_999), { action: 'wait' });
    assert.deepEqual(decide(c, 300_000), { action: 'promote', reason: 'no error threshold crossed in 5m' });
  });

  it('reads durations', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('5 minutes'), undefined);
  });
});

describe('CanaryRunner', () => {
  it('promotes on the fake clock when the window ends, once', () => {
    const clock = new FakeClock(0);
    const timers = fakeSchedule(clock);
    const ended: string[] = [];
    const runner = new CanaryRunner({ clock, schedule: timers.schedule, end: (app, action, reason) => ended.push(`${app} ${action}: ${reason}`) });
    runner.track(canary());
    clock.advance(299_000);
    timers.fire();
    assert.deepEqual(ended, []);
    clock.advance(1_000);
    timers.fire();
    assert.deepEqual(ended, ['shop promote: no error threshold crossed in 5m']);
    runner.observe(record(2, 'error'));
    timers.fire();
    assert.equal(ended.length, 1);
    assert.equal(timers.pending(), 0);
  });

  it('rolls back as soon as the records say so, and stops its timer', () => {
    const clock = new FakeClock(0);
    const timers = fakeSchedule(clock);
    const ended: string[] = [];
    const runner = new CanaryRunner({ clock, schedule: timers.schedule, end: (_app, action) => ended.push(action) });
    runner.track(canary());
    for (let i = 0; i < 90; i++) runner.observe(record(1));
    for (let i = 0; i < 9; i++) runner.observe(record(2, i < 2 ? 'error' : 'ok'));
    assert.deepEqual(ended, []);
    assert.deepEqual(runner.get('shop')?.functions[0]?.new, { requests: 9, errors: 2 });
    runner.observe(record(2));
    assert.deepEqual(ended, ['rollback'], '2 of 10 = 20% against 0%');
    assert.equal(timers.pending(), 0);
  });

  it('ends a resumed canary whose window passed while the node was down at once', () => {
    const clock = new FakeClock(400_000);
    const ended: string[] = [];
    const runner = new CanaryRunner({ clock, schedule: fakeSchedule(clock).schedule, end: (_app, action) => ended.push(action) });
    runner.track(canary());
    assert.deepEqual(ended, ['promote']);
  });
});

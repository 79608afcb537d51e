import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { FunctionConfig, FunctionVersion, ScheduleTrigger } from '../domain/index.js';
import type { EnqueueResult, NewEvent } from '../queue/port.js';
import { FakeClock } from '../shared/clock.js';
import { SqliteScheduleState } from './schedule-state.js';
import { CATCH_UP_CAP, Scheduler, type Timers } from './scheduler.js';

/** Timers driven by a FakeClock: `advance` runs every due callback in time order. */
class FakeTimers implements Timers {
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  constructor(readonly clock: FakeClock) {}
  set(fn: () => void, ms: number): unknown {
    this.pending.set(++this.seq, { at: this.clock.now() + ms, fn });
    return this.seq;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get size(): number {
    return this.pending.size;
  }
  async advance(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    for (;;) {
      await settle();
      const next = [...this.pending].sort(([, a], [, b]) => a.at - b.at)[0];
      if (!next || next[1].at > until) break;
      this.pending.delete(next[0]);
      this.clock.advance(Math.max(0, next[1].at - this.clock.now()));
      next[1].fn();
    }
    this.clock.advance(until - this.clock.now());
    await settle();
  }
}

const settle = () => new Promise((r) => setImmediate(r));

/** A queue that keeps what it is given and dedupes idempotency keys, as the real one does. */
class RecordingQueue {
  readonly events: NewEvent[] = [];
  readonly keys = new Set<string>();
  fail = false;
  async enqueue(events: NewEvent[]): Promise<EnqueueResult[]> {
    if (this.fail) throw new Error('queue unavailable');
    return events.map((e) => {
      const duplicate = e.idempotencyKey !== undefined && this.keys.has(e.idempotencyKey);
      if (!duplicate) {
        if (e.idempotencyKey !== undefined) this.keys.add(e.idempotencyKey);
        this.events.push(e);
      }
      return { id: e.id, duplicate };
    });
  }
  slots(): string[] {
    return this.events.map((e) => new Date((e.payload as { scheduledTime: number }).scheduledTime).toISOString());
  }
}

function fnWith(schedule: Partial<ScheduleTrigger> & { schedule: string }, over: Partial<FunctionConfig> = {}, version = 1): FunctionVersion {
  const trigger: ScheduleTrigger = { type: 'schedule', timezone: null, catchUp: false, ...schedule };
  const config = {
    handler: { file: 'x.ts', export: null },
    env: {},
    triggers: [trigger],
    retries: 2,
    maxEventAge: 3600,
    bindings: {},
    destinations: { onSuccess: null, onFailure: null },
    ...over,
  } as FunctionConfig;
  return { app: 'shop', name: 'tick', version, hash: 'h', codeHash: 'c', codeSize: 1, config, createdAt: 0 };
}

const MIN = 60_000;
const T0 = Date.parse('2026-01-05T10:00:30Z');

describe('Scheduler', () => {
  let db: Database.Database;
  let clock: FakeClock;
  let timers: FakeTimers;
  let queue: RecordingQueue;
  let logs: string[];
  const open = () => new Scheduler({ queue, state: new SqliteScheduleState(db), clock, timers, log: (l) => logs.push(l) });

  beforeEach(() => {
    db = new Database(':memory:');
    clock = new FakeClock(T0);
    timers = new FakeTimers(clock);
    queue = new RecordingQueue();
    logs = [];
  });
  afterEach(() => db.close());

  it('fires once per slot of a rate, aligned to the epoch, with the scheduled event shape', async () => {
    const s = open();
    s.setFunctions([fnWith({ schedule: 'rate(1 minute)' })]);
    await timers.advance(3 * MIN);
    assert.deepEqual(queue.slots(), ['2026-01-05T10:01:00.000Z', '2026-01-05T10:02:00.000Z', '2026-01-05T10:03:00.000Z']);
    const e = queue.events[0]!;
    assert.deepEqual(e.target, { app: 'shop', function: 'tick' });
    assert.equal(e.source, 'schedule');
    assert.equal(e.shape, 'scheduled');
    assert.equal(e.origin, 'rate(1 minute)');
    assert.deepEqual(e.payload, { schedule: 'rate(1 minute)', scheduledTime: Date.parse('2026-01-05T10:01:00Z'), timezone: 'UTC' });
    assert.equal(e.idempotencyKey, `shop/tick/rate(1 minute)/${Date.parse('2026-01-05T10:01:00Z')}`);
    assert.equal(e.maxAttempts, 3);
    assert.equal(e.expiresAt, Date.parse('2026-01-05T10:01:00Z') + 3600 * 1000);
    await s.close();
  });

  it('does not fire a slot twice after a restart on the same state', async () => {
    const a = open();
    a.setFunctions([fnWith({ schedule: 'rate(1 minute)', catchUp: true })]);
    await timers.advance(MIN);
    await a.close();
    assert.equal(queue.events.length, 1);
    // Back 10 s later: the 10:01 slot is already handled, with or without catchUp.
    await timers.advance(10_000);
    const b = open();
    b.setFunctions([fnWith({ schedule: 'rate(1 minute)', catchUp: true })]);
    await timers.advance(MIN);
    assert.deepEqual(queue.slots(), ['2026-01-05T10:01:00.000Z', '2026-01-05T10:02:00.000Z']);
    await b.close();
  });

  it('skips slots missed while down unless catchUp is set', async () => {
    const a = open();
    a.setFunctions([fnWith({ schedule: 'rate(1 minute)' })]);
    await timers.advance(MIN);
    await a.close();
    await timers.advance(4 * MIN); // down over 10:02 … 10:05
    const b = open();
    b.setFunctions([fnWith({ schedule: 'rate(1 minute)' })]);
    await timers.advance(0);
    assert.deepEqual(queue.slots(), ['2026-01-05T10:01:00.000Z']);
    await timers.advance(MIN);
    assert.deepEqual(queue.slots(), ['2026-01-05T10:01:00.000Z', '2026-01-05T10:06:00.000Z']);
    await b.close();
  });

  it('with catchUp fires each missed slot once at start-up, at most the latest CATCH_UP_CAP', async () => {
    const a = open();
    a.setFunctions([fnWith({ schedule: 'rate(1 minute)', catchUp: true })]);
    await timers.advance(MIN);
    await a.close();
    await timers.advance(4 * MIN);
    const b = open();
    b.setFunctions([fnWith({ schedule: 'rate(1 minute)', catchUp: true })]);
    await timers.advance(0);
    assert.deepEqual(queue.slots().slice(1), ['2026-01-05T10:02:00.000Z', '2026-01-05T10:03:00.000Z', '2026-01-05T10:04:00.000Z', '2026-01-05T10:05:00.000Z']);
    await b.close();

    await timers.advance(500 * MIN);
    const before = queue.events.length;
    const c = open();
    c.setFunctions([fnWith({ schedule: 'rate(1 minute)', catchUp: true })]);
    await timers.advance(0);
    const caught = queue.slots().slice(before);
    assert.equal(caught.length, CATCH_UP_CAP);
    assert.equal(caught.at(-1), new Date(Math.floor(clock.now() / MIN) * MIN).toISOString());
    assert.ok(logs.some((l) => l.includes('only the latest')));
    await c.close();
  });

  it('computes cron slots in the schedule’s time zone', async () => {
    const s = open();
    s.setFunctions([fnWith({ schedule: '0 9 * * *', timezone: 'America/New_York' })]);
    await timers.advance(48 * 60 * MIN);
    // 09:00 in New York in January is 14:00 UTC.
    assert.deepEqual(queue.slots(), ['2026-01-05T14:00:00.000Z', '2026-01-06T14:00:00.000Z']);
    assert.equal((queue.events[0]!.payload as { timezone: string }).timezone, 'America/New_York');
    assert.equal(queue.events[0]!.idempotencyKey, `shop/tick/0 9 * * *@America/New_York/${Date.parse('2026-01-05T14:00:00Z')}`);
    await s.close();
  });

  it('stops a schedule no active version names and keeps one a new version still names', async () => {
    const s = open();
    s.setFunctions([fnWith({ schedule: 'rate(1 minute)' })]);
    await timers.advance(MIN);
    s.setFunctions([fnWith({ schedule: 'rate(1 minute)' }, { retries: 5 }, 2)]);
    await timers.advance(MIN);
    assert.equal(queue.events.length, 2);
    assert.equal(queue.events[1]!.maxAttempts, 6, 'the new version’s retries apply');
    s.setFunctions([]);
    await timers.advance(5 * MIN);
    assert.equal(queue.events.length, 2);
    assert.equal(timers.size, 0);
    await s.close();
  });

  it('retries a failed enqueue without losing the slot', async () => {
    const s = open();
    s.setFunctions([fnWith({ schedule: 'rate(1 minute)' })]);
    queue.fail = true;
    await timers.advance(MIN);
    assert.equal(queue.events.length, 0);
    queue.fail = false;
    await timers.advance(1_000);
    assert.deepEqual(queue.slots(), ['2026-01-05T10:01:00.000Z']);
    await s.close();
  });
  it('fires a schedule now on runNow (scheduledTime = now, no dedupe) and leaves the timetable as it was', async () => {
    const s = open();
    s.setFunctions([fnWith({ schedule: 'rate(1 hour)' })]);
    const next = s.list()[0]!.next;
    const a = await s.runNow('shop', 'tick');
    const b = await s.runNow('shop', 'tick');
    assert.notEqual(a.id, b.id, 'each run is its own event');
    assert.deepEqual(
      queue.events.map((e) => e.id),
      [a.id, b.id],
    );
    const e = queue.events[0]!;
    assert.deepEqual(e.payload, { schedule: 'rate(1 hour)', scheduledTime: T0, timezone: 'UTC' });
    assert.equal(e.idempotencyKey, undefined);
    assert.equal(e.shape, 'scheduled');
    assert.equal(s.list()[0]!.next, next);
    await timers.advance(60 * MIN);
    assert.equal(queue.events.length, 3, 'the timed slot still fires');
    await s.close();
  });

  it('refuses runNow without a schedule, and with several unless one is named', async () => {
    const s = open();
    const two = fnWith({ schedule: 'rate(1 hour)' });
    two.config.triggers.push({ type: 'schedule', schedule: 'rate(2 hours)', timezone: null, catchUp: false });
    s.setFunctions([two]);
    await assert.rejects(s.runNow('shop', 'other'), { code: 'SCHEDULE_NOT_FOUND' });
    await assert.rejects(s.runNow('shop', 'tick'), { code: 'BAD_REQUEST', message: /2 schedules \("rate\(1 hour\)", "rate\(2 hours\)"\)/ });
    await assert.rejects(s.runNow('shop', 'tick', 'rate(3 hours)'), { code: 'SCHEDULE_NOT_FOUND', message: /its schedules are: "rate\(1 hour\)", "rate\(2 hours\)"/ });
    const fired = await s.runNow('shop', 'tick', 'rate(2 hours)');
    assert.equal(fired.schedule, 'rate(2 hours)');
    await s.close();
  });
});

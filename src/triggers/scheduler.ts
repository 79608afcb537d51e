/**
 * Schedules: one queued `scheduled` event per slot of every schedule trigger of the active versions.
 *
 * A schedule's life, per key `<app>/<fn>/<schedule>[@<timezone>]`:
 *   armed (a deploy or the start-up names it) → waiting (one timer, at most MAX_SLEEP_MS ahead,
 *   so wall-clock jumps are noticed) → firing (enqueue the due slot(s), then persist
 *   handled_until = the last slot) → waiting … → removed (no active version names it: timer
 *   cleared, its state forgotten, so a later deploy starts afresh).
 * On arming, slots between the persisted handled_until and now were missed while the server was
 * down: with `catchUp` each fires once (the latest CATCH_UP_CAP), otherwise they are skipped and
 * handled_until jumps to now. Dedupe is on the slot time, never the fire time: the idempotency
 * key `<key>/<slot ms>` makes a second enqueue of a slot (a crash between the enqueue and the
 * state write) a no-op in the queue.
 */
import type { FunctionVersion, ScheduleTrigger } from '../domain/index.js';
import type { EnqueueResult, EventQueue, NewEvent } from '../queue/port.js';
import { NimbusError } from '../shared/errors.js';
import { type Clock, systemClock } from '../shared/clock.js';
import { eventFor } from './events.js';
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { traceparentOf } from '../tracing/index.js';
import type { ScheduleState } from './schedule-state.js';
import { type Slots, slotsOf } from './slots.js';

/** setTimeout, injectable so tests move time by hand. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const systemTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface SchedulerOptions {
  queue: Pick<EventQueue, 'enqueue'>;
  state: ScheduleState;
  clock?: Clock;
  timers?: Timers;
  log?: (line: string) => void;
  /** The node's tracer: each firing is a PRODUCER span whose trace its deliveries continue. */
  tracer?: Tracer;
}

/** At most this many missed slots fire on catch-up (the latest ones). */
export const CATCH_UP_CAP = 100;
/** Longest single sleep: re-check the wall clock at least this often. */
const MAX_SLEEP_MS = 60_000;
/** After a failed enqueue, try again this soon. */
const RETRY_MS = 1_000;

interface Entry {
  key: string;
  fn: FunctionVersion;
  trigger: ScheduleTrigger;
  slots: Slots;
  handled: number;
  /** Set after a failed enqueue: wake then instead of at the next slot. */
  retryAt: number | undefined;
  timer: unknown;
  firing: Promise<void> | null;
  removed: boolean;
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly timers: Timers;
  private closed = false;

  constructor(private readonly o: SchedulerOptions) {
    this.clock = o.clock ?? systemClock;
    this.timers = o.timers ?? systemTimers;
  }

  /** Arm the schedules of this set of active versions; forget those no longer in it. */
  setFunctions(active: Iterable<FunctionVersion>): void {
    if (this.closed) return;
    const wanted = new Map<string, { fn: FunctionVersion; trigger: ScheduleTrigger }>();
    for (const fn of active) {
      for (const trigger of fn.config.triggers) {
        if (trigger.type === 'schedule') wanted.set(scheduleKey(fn, trigger), { fn, trigger });
      }
    }
    for (const [key, entry] of this.entries) {
      if (wanted.has(key)) continue;
      entry.removed = true;
      this.timers.clear(entry.timer);
      this.entries.delete(key);
      this.o.state.delete(key);
    }
    for (const [key, { fn, trigger }] of wanted) {
      const existing = this.entries.get(key);
      if (existing) {
        // Same schedule, maybe a new version: keep its timer, deliver with the new limits.
        existing.fn = fn;
        existing.trigger = trigger;
        continue;
      }
      let slots: Slots;
      try {
        slots = slotsOf(trigger);
      } catch (err) {
        this.o.log?.(`scheduler: ${key}: cannot use schedule "${trigger.schedule}": ${(err as Error).message}`);
        continue;
      }
      this.arm({ key, fn, trigger, slots, handled: 0, retryAt: undefined, timer: undefined, firing: null, removed: false });
    }
  }

  /** The schedules armed now, with their next slot (for status views and tests). */
  list(): Array<{ key: string; app: string; function: string; schedule: string; next: number | null }> {
    return [...this.entries.values()].map((e) => ({
      key: e.key,
      app: e.fn.app,
      function: e.fn.name,
      schedule: e.trigger.schedule,
      next: e.slots.next(Math.max(e.handled, this.clock.now())),
    }));
  }

  /**
   * Fire a schedule of `app/fn` now, outside its timetable (`nimbus run-schedule`): one `scheduled`
   * event with `scheduledTime` = now, through the same enqueue (and span) as a timed slot. It has
   * no idempotency key and leaves the timetable as it was. With several schedules, `schedule` picks one.
   * @throws NimbusError SCHEDULE_NOT_FOUND (no such schedule), BAD_REQUEST (several, none picked)
   */
  async runNow(app: string, fn: string, schedule?: string): Promise<{ id: string; schedule: string }> {
    const all = [...this.entries.values()].filter((e) => e.fn.app === app && e.fn.name === fn);
    const picked = schedule === undefined ? all : all.filter((e) => e.trigger.schedule === schedule);
    const entry = picked[0];
    if (entry === undefined) {
      const has = all.length === 0 ? 'it has no schedule trigger' : `its schedules are: ${all.map((e) => `"${e.trigger.schedule}"`).join(', ')}`;
      throw new NimbusError('SCHEDULE_NOT_FOUND', `${app}/${fn} has no schedule${schedule === undefined ? '' : ` "${schedule}"`} to run: ${has}`);
    }
    if (picked.length > 1) {
      throw new NimbusError('BAD_REQUEST', `${app}/${fn} has ${picked.length} schedules (${picked.map((e) => `"${e.trigger.schedule}"`).join(', ')}): name the one to run`);
    }
    const [result] = await this.enqueueSlots(entry, [this.clock.now()], false);
    return { id: result!.id, schedule: entry.trigger.schedule };
  }

  /** Stop every timer and wait for enqueues under way. */
  async close(): Promise<void> {
    this.closed = true;
    const firing: Promise<void>[] = [];
    for (const e of this.entries.values()) {
      this.timers.clear(e.timer);
      if (e.firing) firing.push(e.firing);
    }
    this.entries.clear();
    await Promise.allSettled(firing);
  }

  private arm(entry: Entry): void {
    const now = this.clock.now();
    const stored = this.o.state.get(entry.key);
    // Nothing before the first arming is owed; without catchUp, nothing missed while down either.
    entry.handled = stored === undefined || !entry.trigger.catchUp ? Math.max(stored ?? now, now) : stored;
    if (entry.handled !== stored) this.o.state.set(entry.key, entry.handled);
    this.entries.set(entry.key, entry);
    this.wake(entry);
  }

  /** Fire what is due, then sleep until the next slot. */
  private wake(entry: Entry): void {
    if (this.closed || entry.removed || entry.firing) return;
    entry.retryAt = undefined;
    const now = this.clock.now();
    const due = entry.slots.due(entry.handled, now, entry.trigger.catchUp ? CATCH_UP_CAP : 1);
    if (due.length === 0) return this.sleep(entry, now);
    entry.firing = this.fire(entry, due).finally(() => {
      entry.firing = null;
      this.sleep(entry, this.clock.now());
    });
  }

  private async fire(entry: Entry, slots: number[]): Promise<void> {
    const now = this.clock.now();
    const skipped = entry.trigger.catchUp ? entry.slots.due(entry.handled, slots[0]! - 1, 1).length : 0;
    if (skipped > 0) this.o.log?.(`scheduler: ${entry.key}: more than ${CATCH_UP_CAP} slots were missed; only the latest ${CATCH_UP_CAP} fire`);
    try {
      await this.enqueueSlots(entry, slots, true);
    } catch (err) {
      entry.retryAt = now + RETRY_MS;
      this.o.log?.(`scheduler: ${entry.key}: enqueue failed, trying again in ${RETRY_MS} ms: ${(err as Error).message}`);
      return;
    }
    entry.handled = slots.at(-1)!;
    if (!entry.removed && !this.closed) this.o.state.set(entry.key, entry.handled);
  }

  /** Enqueue one `scheduled` event per slot in one span; `dedupe`: keyed on the slot (timed firings only). */
  private async enqueueSlots(entry: Entry, slots: number[], dedupe: boolean): Promise<EnqueueResult[]> {
    const now = this.clock.now();
    // One trace per firing: the span covers the enqueue, and the delivery attempts are its children.
    const span = this.o.tracer?.startSpan(`schedule ${entry.trigger.schedule}`, {
      kind: SpanKind.PRODUCER,
      attributes: { 'faas.trigger': 'timer', 'faas.cron': entry.trigger.schedule, 'nimbus.app': entry.fn.app, 'faas.name': entry.fn.name, 'nimbus.schedule.slots': slots.length },
    });
    const traceparent = span ? traceparentOf(span) : undefined;
    const events: NewEvent[] = slots.map((slot) =>
      eventFor(
        entry.fn,
        {
          source: 'schedule',
          shape: 'scheduled',
          origin: entry.trigger.schedule,
          payload: { schedule: entry.trigger.schedule, scheduledTime: slot, timezone: entry.trigger.timezone ?? 'UTC' },
          ...(dedupe ? { idempotencyKey: `${entry.key}/${slot}` } : {}),
          ...(traceparent !== undefined ? { traceparent } : {}),
        },
        now,
      ),
    );
    try {
      return await this.o.queue.enqueue(events);
    } catch (err) {
      span?.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span?.end();
    }
  }

  private sleep(entry: Entry, now: number): void {
    if (this.closed || entry.removed) return;
    this.timers.clear(entry.timer);
    const next = entry.retryAt ?? entry.slots.next(Math.max(entry.handled, now));
    if (next === null) return;
    entry.timer = this.timers.set(() => this.wake(entry), Math.min(Math.max(next - now, 0), MAX_SLEEP_MS));
  }
}

/** `<app>/<fn>/<schedule>` plus `@<timezone>` when one is set. */
export function scheduleKey(fn: Pick<FunctionVersion, 'app' | 'name'>, trigger: Pick<ScheduleTrigger, 'schedule' | 'timezone'>): string {
  return `${fn.app}/${fn.name}/${trigger.schedule}${trigger.timezone ? `@${trigger.timezone}` : ''}`;
}

/**
 * Runs the canaries of a node: counts the records of their versions as they come (an observer on
 * invocation records), and ends each one when `decide` (canary.ts) says so: at once on an error
 * rate over the threshold, else when its window ends on the injected clock. Ending (promotion or
 * rollback, under the deploy lock) is the host's job; this class only decides when.
 */
import type { CanaryRecord, InvocationRecord } from '../domain/index.js';
import type { Clock } from '../shared/clock.js';
import { countRecord, decide } from './canary.js';

/** Call `run` in `ms`; returns how to cancel. Injectable so tests drive time by hand. */
export type Schedule = (run: () => void, ms: number) => () => void;

/** Timers that do not keep the process alive; setTimeout's longest delay is ~24.8 days. */
export const defaultSchedule: Schedule = (run, ms) => {
  const t = setTimeout(run, Math.min(Math.max(0, ms), 2 ** 31 - 1));
  t.unref();
  return () => clearTimeout(t);
};

export interface CanaryRunnerOptions {
  clock: Clock;
  schedule?: Schedule;
  /** Promote or roll back the app's canary; called once per canary. */
  end: (app: string, action: 'promote' | 'rollback', reason: string) => void;
}

interface Running {
  record: CanaryRecord;
  cancel: () => void;
  ending: boolean;
}

export class CanaryRunner {
  private readonly running = new Map<string, Running>();
  private readonly schedule: Schedule;

  constructor(private readonly o: CanaryRunnerOptions) {
    this.schedule = o.schedule ?? defaultSchedule;
  }

  /** Start watching a running canary (a new one, or one a restarted node resumes); it may end at once. */
  track(record: CanaryRecord): void {
    this.untrack(record.app);
    const entry: Running = { record: structuredClone(record), cancel: () => {}, ending: false };
    this.running.set(record.app, entry);
    this.arm(entry);
    this.check(record.app);
  }

  /** Stop watching; returns the canary as counted so far. */
  untrack(app: string): CanaryRecord | undefined {
    const entry = this.running.get(app);
    if (!entry) return undefined;
    entry.cancel();
    this.running.delete(app);
    return entry.record;
  }

  /** The app's running canary with its counts so far (a copy). */
  get(app: string): CanaryRecord | undefined {
    const entry = this.running.get(app);
    return entry && structuredClone(entry.record);
  }

  /** Every canary this node runs, with its counts so far (copies). */
  all(): CanaryRecord[] {
    return [...this.running.values()].map((e) => structuredClone(e.record));
  }

  isRunning(app: string): boolean {
    return this.running.has(app);
  }

  /** Every invocation record passes here (telemetry's observer). */
  observe(r: InvocationRecord): void {
    const entry = this.running.get(r.app);
    if (entry && countRecord(entry.record, r)) this.check(r.app);
  }

  /** End the canary if its time is up or its errors say so. */
  check(app: string): void {
    const entry = this.running.get(app);
    if (!entry || entry.ending) return;
    const verdict = decide(entry.record, this.o.clock.now());
    if (verdict.action === 'wait') return;
    entry.ending = true;
    entry.cancel();
    this.o.end(app, verdict.action, verdict.reason);
  }

  close(): void {
    for (const entry of this.running.values()) entry.cancel();
    this.running.clear();
  }

  private arm(entry: Running): void {
    // A timer may fire a little early by the clock's reckoning: check() waits again then.
    entry.cancel = this.schedule(
      () => {
        this.check(entry.record.app);
        if (this.running.get(entry.record.app) === entry && !entry.ending) this.arm(entry);
      },
      Math.max(1, entry.record.endsAt - this.o.clock.now()),
    );
  }
}

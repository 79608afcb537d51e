/**
 * The slots of a schedule: the instants it fires at. Cron expressions go through croner (time
 * zone and DST aware, whole seconds); `rate(N unit)` is a fixed interval aligned to the epoch, so
 * its slots do not depend on when the server started.
 */
import { Cron } from 'croner';
import type { ScheduleTrigger } from '../domain/index.js';
import { cronSpec, parseRate } from '../manifest/schedule.js';

export interface Slots {
  /** The first slot strictly after `after` (epoch ms), or null when there is none. */
  next(after: number): number | null;
  /** Slots in (after, upTo], ascending; only the latest `cap` of them. */
  due(after: number, upTo: number, cap: number): number[];
}

export function slotsOf(trigger: Pick<ScheduleTrigger, 'schedule' | 'timezone'>): Slots {
  const seconds = parseRate(trigger.schedule);
  if (seconds !== null) return rateSlots(seconds * 1000);
  // AWS `cron(...)` runs as its croner equivalent (manifest/aws-cron.ts).
  const { pattern, options } = cronSpec(trigger.schedule);
  return cronSlots(new Cron(pattern, { paused: true, timezone: trigger.timezone ?? 'UTC', ...options }));
}

function rateSlots(interval: number): Slots {
  if (!(interval > 0)) throw new Error('a rate needs a positive interval');
  return {
    next: (after) => (Math.floor(after / interval) + 1) * interval,
    due(after, upTo, cap) {
      const last = Math.floor(upTo / interval) * interval;
      let first = (Math.floor(after / interval) + 1) * interval;
      first = Math.max(first, last - (cap - 1) * interval);
      const out: number[] = [];
      for (let t = first; t <= last; t += interval) out.push(t);
      return out;
    },
  };
}

function cronSlots(cron: Cron): Slots {
  return {
    next: (after) => cron.nextRun(new Date(after))?.getTime() ?? null,
    due(after, upTo, cap) {
      if (upTo <= after || cap <= 0) return [];
      // previousRuns is exclusive of its reference but includes runs earlier in the same second.
      return cron
        .previousRuns(cap, new Date(upTo + 1))
        .map((d) => d.getTime())
        .filter((t) => t > after && t <= upTo)
        .reverse();
    },
  };
}

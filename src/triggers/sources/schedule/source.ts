/** Schedules: the `Scheduler` (../../scheduler.ts) arms one timer per cron/rate trigger. */
import type { Scheduler } from '../../scheduler.js';
import { delegatingSource, type TriggerSource } from '../port.js';

export function scheduleSource(scheduler: Pick<Scheduler, 'setFunctions' | 'close'>): TriggerSource {
  return delegatingSource('schedule', ['schedule'], scheduler);
}

/** `schedule: "0 2 * * *"` or `rate(5 minutes)`. Owns no named resource. */
import type { ScheduleTrigger } from '../../../domain/index.js';
import type { TriggerKindSpec } from '../port.js';

export const scheduleKind: TriggerKindSpec<ScheduleTrigger> = {
  key: 'schedule',
  options: ['timezone', 'catchUp'],
  label: (t) => `schedule:${t.schedule}${t.timezone ? ` (${t.timezone})` : ''}`,
};

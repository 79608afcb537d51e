/** `POST …/schedule/run`: fire a function's schedule trigger now (`nimbus run-schedule`), on any node. */
import { z } from 'zod';
import { NimbusError } from '../shared/errors.js';
import { route } from './table.js';

export const scheduleRoutes = [
  route({
    method: 'POST',
    path: '/v1/apps/{app}/functions/{fn}/schedule/run',
    summary: "fire the function's schedule trigger now: one `scheduled` event (scheduledTime = now) through the normal queue, retries and destinations included",
    description: 'The timetable is left as it was. A function with several schedule triggers needs `schedule` (the expression as in nimbus.yaml).',
    scope: ['deploy', 'invoke'],
    app: 'param',
    body: z.object({ schedule: z.string().min(1).optional().describe('the expression of the schedule to fire, when the function has several') }),
    response: z.object({ eventId: z.string().describe('the queued event; also the invocation id of its delivery attempts'), schedule: z.string() }),
    status: 202,
    errors: ['FUNCTION_NOT_FOUND', 'SCHEDULE_NOT_FOUND'],
    audit: 'schedule.run',
    handle: async ({ deps, params, body }) => {
      const app = params['app']!;
      const fn = params['fn']!;
      if (!deps.deployments.current(app, fn)) throw new NimbusError('FUNCTION_NOT_FOUND', `no function ${app}/${fn} is deployed; see \`nimbus ls\``);
      if (!deps.schedules) throw new NimbusError('BAD_REQUEST', 'schedules are not enabled on this node');
      const fired = await deps.schedules.runNow(app, fn, body.schedule);
      return { eventId: fired.id, schedule: fired.schedule };
    },
  }),
];

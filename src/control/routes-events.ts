/** Endpoints of the event queue in the route table: the dead-letter queue and the queue depth of a function. */
import { z } from 'zod';
import type { DeadEventView } from '../domain/index.js';
import { unwrapMessage, type DeadEvent, type EventService, type EventTarget } from '../queue/index.js';
import { NimbusError } from '../shared/errors.js';
import * as s from './schemas.js';
import { route, type ControlDeps } from './table.js';

const target = (params: Record<string, string>): EventTarget => ({ app: params['app']!, function: params['fn']! });

function events(deps: ControlDeps): EventService {
  if (!deps.events) throw new NimbusError('BAD_REQUEST', 'the event queue is not enabled on this node');
  return deps.events;
}

export function deadEventView(e: DeadEvent): DeadEventView {
  // A message published with attributes is stored in an envelope (queue/message.ts): show what was published.
  const { body, attributes } = unwrapMessage(e.payload);
  return {
    id: e.id,
    source: e.source,
    shape: e.shape,
    origin: e.origin,
    payload: body,
    ...(attributes === undefined ? {} : { attributes }),
    attempts: e.attempts,
    maxAttempts: e.maxAttempts,
    createdAt: e.createdAt,
    expiresAt: e.expiresAt,
    lastError: e.lastError,
    deadAt: e.deadAt,
    reason: e.reason,
  };
}

export const eventRoutes = [
  route({
    method: 'GET',
    path: '/v1/apps/{app}/functions/{fn}/dlq',
    summary: "the function's dead-lettered events, most recent first",
    scope: 'read',
    app: 'param',
    query: z.object({ limit: s.limitParam('at most this many (default 100, max 1000)') }),
    response: z.object({ events: z.array(s.deadEventSchema) }),
    errors: [],
    handle: async ({ deps, params, query }) => ({ events: (await events(deps).listDead(target(params), query.limit)).map(deadEventView) }),
  }),
  route({
    method: 'POST',
    path: '/v1/apps/{app}/functions/{fn}/dlq/redrive',
    summary: 'queue dead-lettered events again (all, or one by id) with attempts reset and a fresh maxEventAge',
    scope: 'deploy',
    app: 'param',
    body: z.object({ id: z.string().min(1).optional().describe('the id of a dead-lettered event; none = all') }),
    response: z.object({ redriven: z.number().int().describe('how many were queued again') }),
    errors: ['FUNCTION_NOT_FOUND', 'EVENT_NOT_FOUND'],
    audit: 'dlq.redrive',
    handle: async ({ deps, params, body }) => {
      const t = target(params);
      const id = body.id;
      // A function that is gone would dead-letter its events again.
      if (!deps.deployments.current(t.app, t.function)) {
        throw new NimbusError('FUNCTION_NOT_FOUND', `no function ${t.app}/${t.function} is deployed: deploy it again before redriving its dead letters`);
      }
      const redriven = await events(deps).redrive(t, id);
      if (id !== undefined && redriven === 0) throw new NimbusError('EVENT_NOT_FOUND', `no dead-lettered event ${id} for ${t.app}/${t.function}; see \`nimbus dlq ls ${t.app}/${t.function}\``);
      return { redriven };
    },
  }),
  route({
    method: 'GET',
    path: '/v1/apps/{app}/functions/{fn}/queue',
    summary: 'events waiting for or in delivery to the function',
    scope: 'read',
    app: 'param',
    response: z.object({ depth: z.number().int() }),
    errors: [],
    handle: async ({ deps, params }) => ({ depth: await events(deps).depth(target(params)) }),
  }),
];

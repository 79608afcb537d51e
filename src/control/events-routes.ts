/**
 * Control-API endpoints of the event queue (docs/control-api.md): async invoke (the header branch
 * of `POST .../invoke`), the dead-letter queue and the queue depth of a function.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AsyncInvokeView, DeadEventView } from '../domain/index.js';
import type { DeadEvent, EventService, EventTarget } from '../queue/index.js';
import { NimbusError } from '../shared/errors.js';
import { sendJson } from '../shared/http.js';
import { num, readJson, type RouteModule } from './route-module.js';

/** An async event's body limit (as Lambda's asynchronous invocations since 2025). */
export const ASYNC_PAYLOAD_BYTES = 1024 * 1024;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,256}$/;

/** `X-Nimbus-Invocation-Type: Event` asks for an async invoke; `RequestResponse` (or none) for a sync one. */
export function isAsyncInvoke(req: IncomingMessage): boolean {
  const type = req.headers['x-nimbus-invocation-type'];
  if (type === undefined || /^RequestResponse$/i.test(String(type))) return false;
  if (/^Event$/i.test(String(type))) return true;
  req.resume();
  throw new NimbusError('BAD_REQUEST', `X-Nimbus-Invocation-Type must be Event (async) or RequestResponse (sync, the default); got "${String(type)}"`);
}

/** 202 `{invocationId, duplicate}` once the event is committed; the function runs later. */
export async function invokeAsync(events: EventService | undefined, req: IncomingMessage, res: ServerResponse, app: string, fn: string): Promise<void> {
  if (!events) {
    req.resume();
    throw new NimbusError('BAD_REQUEST', 'async invocations are not enabled on this node');
  }
  const header = req.headers['idempotency-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    req.resume();
    throw new NimbusError('BAD_REQUEST', 'Idempotency-Key must be 1 to 256 visible ASCII characters (no spaces)');
  }
  const event = await readJson(req, ASYNC_PAYLOAD_BYTES);
  const spec = { source: 'invoke' as const, shape: 'invoke' as const, payload: event ?? {}, ...(key === undefined ? {} : { idempotencyKey: key }) };
  const result = await events.submit({ app, function: fn }, spec);
  const body: AsyncInvokeView = { invocationId: result.id, duplicate: result.duplicate };
  sendJson(res, 202, body, { 'x-nimbus-invocation-id': result.id });
}

export function deadEventView(e: DeadEvent): DeadEventView {
  return {
    id: e.id,
    source: e.source,
    shape: e.shape,
    origin: e.origin,
    payload: e.payload,
    attempts: e.attempts,
    maxAttempts: e.maxAttempts,
    createdAt: e.createdAt,
    expiresAt: e.expiresAt,
    lastError: e.lastError,
    deadAt: e.deadAt,
    reason: e.reason,
  };
}

export interface EventRoutesOptions {
  events: EventService;
  /** Whether a function is deployed (redrive refuses a function that is gone: its events would die again). */
  exists(app: string, fn: string): boolean;
}

/** The endpoints under /v1/apps/{app}/functions/{fn}/dlq and /queue. */
export function eventRoutes(o: EventRoutesOptions): RouteModule {
  const target = (params: Record<string, string | undefined>): EventTarget => ({ app: params['app']!, function: params['fn']! });
  return (on) => {
    on('GET', '/v1/apps/:app/functions/:fn/dlq', async ({ res, params, query }) => {
      const events = await o.events.listDead(target(params), num(query.get('limit')));
      sendJson(res, 200, { events: events.map(deadEventView) });
    });
    on('POST', '/v1/apps/:app/functions/:fn/dlq/redrive', async ({ req, res, params }) => {
      const body = (await readJson(req, 64 * 1024)) ?? {};
      const id = (body as { id?: unknown }).id;
      if (id !== undefined && (typeof id !== 'string' || id === '')) throw new NimbusError('BAD_REQUEST', '"id" must be the id of a dead-lettered event (a string)');
      const t = target(params);
      if (!o.exists(t.app, t.function)) throw new NimbusError('FUNCTION_NOT_FOUND', `no function ${t.app}/${t.function} is deployed: deploy it again before redriving its dead letters`);
      const redriven = await o.events.redrive(t, id);
      if (id !== undefined && redriven === 0) throw new NimbusError('EVENT_NOT_FOUND', `no dead-lettered event ${id} for ${t.app}/${t.function}; see \`nimbus dlq ls ${t.app}/${t.function}\``);
      sendJson(res, 200, { redriven });
    });
    on('GET', '/v1/apps/:app/functions/:fn/queue', async ({ res, params }) => {
      sendJson(res, 200, { depth: await o.events.depth(target(params)) });
    });
  };
}

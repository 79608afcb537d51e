/**
 * `POST /v1/apps/{app}/functions/{fn}/invoke`: a sync invoke answers with the function's own
 * response; `X-Nimbus-Invocation-Type: Event` queues it (202 once the event is committed).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AsyncInvokeView } from '../domain/index.js';
import type { EventService } from '../queue/index.js';
import { MAX_BODY_BYTES } from '../sandbox/protocol.js';
import { NimbusError } from '../shared/errors.js';
import { sendError, sendJson } from '../shared/http.js';
import { uuidv7 } from '../shared/ids.js';
import { readJson } from './request.js';
import type { ControlDeps } from './table.js';

/** An async event's body limit (as Lambda's asynchronous invocations since 2025). */
export const ASYNC_PAYLOAD_BYTES = 1024 * 1024;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,256}$/;

export async function invoke(deps: ControlDeps, req: IncomingMessage, res: ServerResponse, app: string, name: string): Promise<void> {
  if (isAsyncInvoke(req)) return invokeAsync(deps.events, req, res, app, name);
  const startedAt = Date.now();
  const active = deps.deployments.current(app, name);
  if (!active) throw new NimbusError('FUNCTION_NOT_FOUND', `no function ${app}/${name} is deployed; see \`nimbus ls\``);
  const event = await readJson(req, MAX_BODY_BYTES);
  // A canary's share applies here as on its routes.
  const fn = deps.deployments.serve(app, name) ?? active;
  const id = uuidv7();
  // An `event` invocation, so a function that streams its HTTP responses is buffered here (the
  // sandbox reads a web stream to its end; a streamified Lambda's bytes become its result): no sink.
  const outcome = await deps.runtime.invoke(fn, { kind: 'event', event: event ?? {} }, { id, trigger: 'api', startedAt });
  const version = String(outcome.record.version);
  if (!outcome.ok) return sendError(res, outcome.error, id, [['x-nimbus-version', version]]);
  const out = outcome.result.res;
  if (out) {
    const headers: string[] = [];
    for (const [k, v] of out.headers) if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') headers.push(k, v);
    const payload = out.b64 ? Buffer.from(out.body, 'base64') : Buffer.from(out.body);
    headers.push('content-length', String(payload.length), 'x-nimbus-invocation-id', id, 'x-nimbus-version', version);
    res.writeHead(out.status, headers);
    res.end(payload);
    return;
  }
  sendJson(res, 200, outcome.result.value ?? null, { 'x-nimbus-invocation-id': id, 'x-nimbus-version': version });
}

/** `X-Nimbus-Invocation-Type: Event` asks for an async invoke; `RequestResponse` (or none) for a sync one. */
export function isAsyncInvoke(req: IncomingMessage): boolean {
  const type = req.headers['x-nimbus-invocation-type'];
  if (type === undefined || /^RequestResponse$/i.test(String(type))) return false;
  if (/^Event$/i.test(String(type))) return true;
  req.resume();
  throw new NimbusError('BAD_REQUEST', `X-Nimbus-Invocation-Type must be Event (async) or RequestResponse (sync, the default); got "${String(type)}"`);
}

/** 202 `{invocationId, duplicate}` once the event is committed; the function runs later. */
async function invokeAsync(events: EventService | undefined, req: IncomingMessage, res: ServerResponse, app: string, fn: string): Promise<void> {
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

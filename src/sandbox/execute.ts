/**
 * Loading a function's bundle and running one invocation, independent of the channel (`send` is
 * a parameter), so the shim's warm-up can run the very same code paths on a dummy function and a
 * real cold start finds them compiled.
 */
import { buildBindings } from './bindings.js';
import { callLambda, httpApiEvent, lambdaContext, lambdaResultToResponse, type LambdaHandler } from './lambda.js';
import { restApiEvent, restResultToResponse } from './rest.js';
import type { CallBinding } from './rpc.js';
import { emailPayload, sesEvent, webEmailMessage } from './email.js';
import { eventBridgeEvent, lambdaQueueEvent, lambdaRetries, messageBatch, queuePayload, schedulePayload, webScheduledEvent } from './shapes.js';
import { eventRequest, fromResponse, responseHeaders, ResponseTooLarge, toRequest, type WebContext, type WebHandler } from './web.js';
import { streamedResponse } from './light.js';
import { isStreamified, runStreamified } from './lambda-stream.js';
import { pumpWebStream, StreamWriter } from './streaming.js';
import type { FunctionMeta, HostMessage, SandboxBinding, SandboxErrorCode, SandboxMessage, SerializedError, WireAuth, WireResponse } from './protocol.js';
import { MAX_BODY_BYTES } from './protocol.js';
import { prepareBundle, userFrame } from './stack.js';

/** What handlers see as `env` (web) and `context.env` (Lambda): the manifest's env vars and the binding objects. */
export type Env = Readonly<Record<string, unknown>>;

export type Loaded = { style: 'web'; handler: WebHandler; env: Env; fn: FunctionMeta } | { style: 'lambda'; handler: LambdaHandler; env: Env; fn: FunctionMeta };

export type Invocation = Extract<HostMessage, { t: 'http' | 'event' }>;
export type Send = (message: SandboxMessage) => void;

/** Import a bundle from a data: URL (no file read) and find its handler; binding objects are built here, once. */
export async function importBundle(code: string, env: Record<string, string>, fn: FunctionMeta, bindings: Record<string, SandboxBinding> = {}, call?: CallBinding): Promise<Loaded> {
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(prepareBundle(code)).toString('base64')}`)) as Record<string, unknown>;
  return resolveHandler(mod, Object.freeze({ ...env, ...(call ? buildBindings(bindings, call) : {}) }), fn);
}

export function resolveHandler(mod: Record<string, unknown>, env: Env, fn: FunctionMeta): Loaded {
  const dflt = mod['default'] as Record<string, unknown> | ((...a: unknown[]) => unknown) | undefined;
  if (fn.handlerExport !== null) {
    const h = mod[fn.handlerExport] ?? (dflt as Record<string, unknown> | undefined)?.[fn.handlerExport];
    if (typeof h !== 'function') throw new TypeError(`the module has no exported function "${fn.handlerExport}"`);
    return { style: 'lambda', handler: h as LambdaHandler, env, fn };
  }
  if (dflt && typeof dflt === 'object' && WEB_METHODS.some((m) => typeof dflt[m] === 'function')) return { style: 'web', handler: dflt as unknown as WebHandler, env, fn };
  const named = mod['handler'] ?? (dflt && typeof dflt === 'object' ? dflt['handler'] : undefined);
  if (typeof named === 'function') return { style: 'lambda', handler: named as LambdaHandler, env, fn };
  if (typeof dflt === 'function') return { style: 'lambda', handler: dflt, env, fn };
  throw new TypeError('no handler found: export default { fetch(request, env, ctx) } (web style) or export a function named "handler" (Lambda style)');
}

const WEB_METHODS = ['fetch', 'scheduled', 'queue', 'email'] as const;

/** Run one invocation and send its outcome. Never throws. */
export async function execute(loaded: Loaded, message: Invocation, send: Send, rss: () => number): Promise<void> {
  const { id } = message;
  // How long the invocation ran in here and how much of that was CPU: the host's scheduler scales
  // out functions whose instances wait (I/O), not ones that are busy (CPU).
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const timing = (): { ms: number; cpu: number } => {
    const c = process.cpuUsage(c0);
    return { ms: Math.round((performance.now() - t0) * 1000) / 1000, cpu: Math.round(c.user + c.system) / 1000 };
  };
  const deadline = Date.now() + message.timeoutMs;
  const shape = message.t === 'http' ? 'http' : (message.shape ?? 'invoke');
  try {
    if (loaded.style === 'lambda') {
      const queue = shape === 'queue' ? queuePayload((message as { event: unknown }).event) : undefined;
      const event =
        message.t === 'http'
          ? message.req.payload === '1.0'
            ? restApiEvent(id, message.req, loaded.fn)
            : httpApiEvent(id, message.req, loaded.fn)
          : shape === 'scheduled'
            ? eventBridgeEvent(id, schedulePayload(message.event), loaded.fn)
            : shape === 'email'
              ? sesEvent(emailPayload(message.event), loaded.fn)
              : queue
                ? lambdaQueueEvent(queue)
                : message.event;
      const context = lambdaContext(id, deadline, loaded.fn, loaded.env, message.traceparent);
      if (isStreamified(loaded.handler)) {
        // Over HTTP the bytes stream to the client; invoked with an event, they come back buffered as the result.
        if (message.t === 'http') {
          await runStreamified(loaded.handler, event, context, new StreamWriter(id, send));
          send({ t: 'end', id, rss: rss(), ...timing() });
        } else send({ t: 'done', id, value: jsonValue(await runStreamified(loaded.handler, event, context, undefined)), rss: rss(), ...timing() });
        return;
      }
      const result = await callLambda(loaded.handler, event, context);
      if (message.t === 'http') {
        const toResponse = message.req.payload === '1.0' ? restResultToResponse : lambdaResultToResponse;
        send({ t: 'done', id, res: checkSize(convert(() => toResponse(result))), rss: rss(), ...timing() });
      } else if (queue) send({ t: 'done', id, value: jsonValue(result), rss: rss(), retry: lambdaRetries(queue, result), ...timing() });
      else send({ t: 'done', id, value: jsonValue(result), rss: rss(), ...timing() });
      return;
    }
    const waiting: Promise<unknown>[] = [];
    const ctx: WebContext = {
      invocationId: id,
      functionName: loaded.fn.name,
      version: loaded.fn.version,
      deadline,
      waitUntil: (p) => void waiting.push(Promise.resolve(p).catch((err: unknown) => console.error(err))),
      passThroughOnException: () => {},
    };
    if (message.t === 'http' && message.req.auth) ctx.auth = webAuth(message.req.auth);
    if (message.traceparent !== undefined) ctx.traceparent = message.traceparent;
    const handler = loaded.handler;
    if (message.t === 'http' || shape === 'invoke') {
      if (typeof handler.fetch !== 'function') throw missingMethod('was invoked with a request (HTTP or a direct invoke)', 'fetch');
      const request = message.t === 'http' ? toRequest(message.req) : eventRequest(message.event);
      const response = await handler.fetch(request, loaded.env, ctx);
      // A body the function streams goes out as it is produced (HTTP only: a direct invoke buffers it below).
      const streamed = message.t === 'http' ? streamedResponse(response) : undefined;
      if (streamed?.body) {
        await pumpWebStream(new StreamWriter(id, send), streamed.status, responseHeaders(streamed), streamed.body);
        send({ t: 'end', id, rss: rss(), ...(waiting.length > 0 ? { pending: true } : {}), ...timing() });
        if (waiting.length > 0) await Promise.allSettled(waiting).then(() => send({ t: 'settled', id }));
        return;
      }
      const res = await fromResponse(response).catch((err: unknown) => {
        throw new SandboxFailure(err instanceof ResponseTooLarge ? 'RESPONSE_TOO_LARGE' : 'INVALID_RESPONSE', err);
      });
      // `pending` only when true: the host's fast path takes the plain `{ t, id, res, rss, ms, cpu }` answer.
      if (waiting.length > 0) send({ t: 'done', id, res, rss: rss(), pending: true, ...timing() });
      else send({ t: 'done', id, res, rss: rss(), ...timing() });
    } else if (shape === 'scheduled') {
      if (typeof handler.scheduled !== 'function') throw missingMethod('is triggered by a schedule', 'scheduled');
      const value = await handler.scheduled(webScheduledEvent(schedulePayload(message.event)), loaded.env, ctx);
      send({ t: 'done', id, value: jsonValue(value), rss: rss(), pending: waiting.length > 0, ...timing() });
    } else if (shape === 'email') {
      if (typeof handler.email !== 'function') throw missingMethod('is triggered by email', 'email');
      const value = await handler.email(webEmailMessage(emailPayload(message.event)), loaded.env, ctx);
      send({ t: 'done', id, value: jsonValue(value), rss: rss(), pending: waiting.length > 0, ...timing() });
    } else {
      if (typeof handler.queue !== 'function') throw missingMethod('is triggered by queued messages (a topic, bucket or webhook)', 'queue');
      const { batch, retries } = messageBatch(queuePayload(message.event));
      const value = await handler.queue(batch, loaded.env, ctx);
      send({ t: 'done', id, value: jsonValue(value), rss: rss(), pending: waiting.length > 0, retry: retries(), ...timing() });
    }
    if (waiting.length > 0) await Promise.allSettled(waiting).then(() => send({ t: 'settled', id }));
  } catch (err) {
    const code: SandboxErrorCode = err instanceof SandboxFailure ? err.code : 'FUNCTION_ERROR';
    const cause = err instanceof SandboxFailure ? err.cause : err;
    // The stack goes to the function's own log, never to the HTTP caller.
    if (code === 'FUNCTION_ERROR') console.error(cause instanceof Error && cause.stack ? cause.stack : `Uncaught ${String(cause)}`);
    send({ t: 'error', id, code, error: serialize(cause), rss: rss(), ...timing() });
  }
}

function webAuth(auth: WireAuth): NonNullable<WebContext['auth']> {
  if (auth.type === 'jwt') return { type: 'jwt', claims: auth.claims, scopes: auth.scopes, context: {} };
  if (auth.type === 'function') return { type: 'function', claims: {}, scopes: [], context: auth.context };
  return { type: 'apiKey', claims: {}, scopes: [], context: {} };
}

/** A web module lacking the method an event needs: the user's fix, without a stack into Nimbus. */
function missingMethod(what: string, method: string): Error {
  const err = new TypeError(`this function ${what} but its default export has no ${method}() method`);
  err.stack = `TypeError: ${err.message}`;
  return err;
}

class SandboxFailure extends Error {
  constructor(
    readonly code: SandboxErrorCode,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

function convert(f: () => WireResponse): WireResponse {
  try {
    return f();
  } catch (err) {
    throw new SandboxFailure('INVALID_RESPONSE', err);
  }
}

function checkSize(res: WireResponse): WireResponse {
  const bytes = res.b64 ? Math.floor((res.body.length * 3) / 4) : Buffer.byteLength(res.body);
  if (bytes > MAX_BODY_BYTES) throw new SandboxFailure('RESPONSE_TOO_LARGE', new ResponseTooLarge(`response body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES}`));
  return res;
}

/** What a Lambda returns must survive JSON; undefined becomes null. */
function jsonValue(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  if (text !== undefined && Buffer.byteLength(text) > MAX_BODY_BYTES)
    throw new SandboxFailure('RESPONSE_TOO_LARGE', new ResponseTooLarge(`result is ${Buffer.byteLength(text)} bytes; the limit is ${MAX_BODY_BYTES}`));
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

export function serialize(err: unknown): SerializedError {
  if (err instanceof Error) {
    const at = userFrame(err);
    return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}), ...(at !== undefined ? { at } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

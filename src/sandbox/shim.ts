/**
 * The runtime shim: the entry point of every sandboxed instance process. It runs with Node's
 * permission model (it may read only this folder and write only its temp dir), with no
 * platform environment, and as its own uid when the host runs as root.
 *
 * Life: start → warm up (the costly first-use work: ESM loader, undici's Request/Response) →
 * `ready` → wait in the pool → `load` (import the function's bundle from a data: URL, so the
 * process never reads it from disk) → serve `http` / `event` invocations until the host
 * closes the channel or kills the process.
 *
 * Only this folder's files and node builtins may be imported here.
 */
import { openChannel } from './channel.js';
import { captureOutput, currentInvocation } from './capture.js';
import { callLambda, httpApiEvent, lambdaContext, lambdaResultToResponse, type LambdaHandler } from './lambda.js';
import { eventRequest, fromResponse, ResponseTooLarge, toRequest, type WebContext, type WebHandler } from './web.js';
import type { FunctionMeta, HostMessage, SandboxErrorCode, SerializedError, WireRequest, WireResponse } from './protocol.js';
import { MAX_BODY_BYTES } from './protocol.js';
import { installLightGlobals } from './light.js';

/** The instance's private temp dir (set by the host); kept so os.tmpdir() keeps working. */
const TMPDIR = process.env['TMPDIR'];
let lastRss = 0;
let lastRssAt = 0;
const channel = openChannel();
captureOutput(channel);
lockDownProcess();
installLightGlobals();

type Loaded =
  | { style: 'web'; handler: WebHandler; env: Record<string, string>; fn: FunctionMeta }
  | { style: 'lambda'; handler: LambdaHandler; env: Record<string, string>; fn: FunctionMeta };
let loaded: Loaded | undefined;

channel.onMessage((message: HostMessage) => {
  switch (message.t) {
    case 'load':
      void load(message.code, message.env, message.fn);
      return;
    case 'http':
    case 'event':
      currentInvocation.run(message.id, () => void invoke(message));
      return;
  }
});

await warmUp();
channel.send({ t: 'ready', rss: rss() });

/** Pay the first-use costs now, while no request waits (see shared/MEASUREMENTS.md). */
async function warmUp(): Promise<void> {
  const throwaway: string = 'data:text/javascript,export default 1';
  await import(throwaway);
  const res = new Response('warm', { headers: { 'content-type': 'text/plain' } });
  await res.arrayBuffer();
  const req = new Request('http://warm.up/', { method: 'POST', body: '{}', headers: { a: 'b' } });
  await req.text();
  new Headers({ a: 'b' }).getSetCookie();
  JSON.parse(JSON.stringify({ warm: true }));
}

/** Signals cannot be confined by the permission model; a function has no reason to send any. */
function lockDownProcess(): void {
  const denied = () => {
    throw Object.assign(new Error('process.kill is not allowed in a Nimbus sandbox'), { code: 'ERR_ACCESS_DENIED' });
  };
  for (const name of ['kill', '_kill', 'setuid', 'setgid', 'seteuid', 'setegid', 'setgroups', 'initgroups'] as const) {
    Object.defineProperty(process, name, { value: denied, writable: false, configurable: false });
  }
}

async function load(code: string, env: Record<string, string>, fn: FunctionMeta): Promise<void> {
  const started = performance.now();
  try {
    for (const key of Object.keys(process.env)) delete process.env[key];
    Object.assign(process.env, TMPDIR === undefined ? {} : { TMPDIR }, env);
    const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as Record<string, unknown>;
    loaded = resolveHandler(mod, Object.freeze({ ...env }), fn);
    channel.send({ t: 'loaded', initMs: performance.now() - started, style: loaded.style });
  } catch (err) {
    channel.send({ t: 'loadError', error: serialize(err) });
  }
}

function resolveHandler(mod: Record<string, unknown>, env: Record<string, string>, fn: FunctionMeta): Loaded {
  const dflt = mod['default'] as Record<string, unknown> | ((...a: unknown[]) => unknown) | undefined;
  if (fn.handlerExport !== null) {
    const h = mod[fn.handlerExport] ?? (dflt as Record<string, unknown> | undefined)?.[fn.handlerExport];
    if (typeof h !== 'function') throw new TypeError(`the module has no exported function "${fn.handlerExport}"`);
    return { style: 'lambda', handler: h as LambdaHandler, env, fn };
  }
  if (dflt && typeof dflt === 'object' && typeof dflt['fetch'] === 'function') return { style: 'web', handler: dflt as unknown as WebHandler, env, fn };
  const named = mod['handler'] ?? (dflt && typeof dflt === 'object' ? dflt['handler'] : undefined);
  if (typeof named === 'function') return { style: 'lambda', handler: named as LambdaHandler, env, fn };
  if (typeof dflt === 'function') return { style: 'lambda', handler: dflt as LambdaHandler, env, fn };
  throw new TypeError('no handler found: export default { fetch(request, env, ctx) } (web style) or export a function named "handler" (Lambda style)');
}

async function invoke(message: Extract<HostMessage, { t: 'http' | 'event' }>): Promise<void> {
  const { id, deadline } = message;
  if (!loaded) {
    channel.send({ t: 'error', id, code: 'FUNCTION_ERROR', error: { name: 'Error', message: 'function not loaded' }, rss: rss() });
    return;
  }
  try {
    if (loaded.style === 'lambda') {
      const event = message.t === 'http' ? httpApiEvent(id, message.req, loaded.fn) : message.event;
      const result = await callLambda(loaded.handler, event, lambdaContext(id, deadline, loaded.fn));
      if (message.t === 'http') {
        const res = checkSize(convert(() => lambdaResultToResponse(result)));
        channel.send({ t: 'done', id, res, rss: rss() });
      } else {
        channel.send({ t: 'done', id, value: jsonValue(result), rss: rss() });
      }
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
    const request = message.t === 'http' ? toRequest(message.req as WireRequest) : eventRequest(message.event);
    const response = await loaded.handler.fetch(request, loaded.env, ctx);
    const res = await fromResponse(response).catch((err: unknown) => {
      throw err instanceof ResponseTooLarge ? new SandboxFailure('RESPONSE_TOO_LARGE', err) : new SandboxFailure('INVALID_RESPONSE', err);
    });
    channel.send({ t: 'done', id, res, rss: rss(), pending: waiting.length > 0 });
    if (waiting.length > 0) await Promise.allSettled(waiting).then(() => channel.send({ t: 'settled', id }));
  } catch (err) {
    const code: SandboxErrorCode = err instanceof SandboxFailure ? err.code : 'FUNCTION_ERROR';
    const cause = err instanceof SandboxFailure ? err.cause : err;
    // The stack goes to the function's own log, never to the HTTP caller.
    if (code === 'FUNCTION_ERROR') console.error(cause instanceof Error && cause.stack ? cause.stack : `Uncaught ${String(cause)}`);
    channel.send({ t: 'error', id, code, error: serialize(cause), rss: rss() });
  }
}

/** RSS for the host's "max memory used"; reading it costs a syscall, so at most every 20 ms. */
function rss(): number {
  const now = Date.now();
  if (now - lastRssAt >= 20) {
    lastRss = process.memoryUsage.rss();
    lastRssAt = now;
  }
  return lastRss;
}

class SandboxFailure extends Error {
  constructor(readonly code: SandboxErrorCode, override readonly cause: unknown) {
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
  if (text !== undefined && Buffer.byteLength(text) > MAX_BODY_BYTES) throw new SandboxFailure('RESPONSE_TOO_LARGE', new ResponseTooLarge(`result is ${Buffer.byteLength(text)} bytes; the limit is ${MAX_BODY_BYTES}`));
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

function serialize(err: unknown): SerializedError {
  if (err instanceof Error) return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  return { name: 'Error', message: String(err) };
}

/**
 * `POST /2015-03-31/functions/{FunctionName}/invocations`: Lambda's Invoke, as the AWS SDK calls it.
 *
 *   X-Amz-Invocation-Type  RequestResponse (default): run now; 200 with the handler's return value
 *                          as JSON and X-Amz-Executed-Version.
 *                          Event: 202 once the event is committed to the durable queue (retries,
 *                          dead letters and destinations as for `X-Nimbus-Invocation-Type: Event`).
 *                          DryRun: 204 when this caller may invoke that function.
 *   X-Amz-Log-Type: Tail   the last 4 KB of the invocation's log lines, base64, in X-Amz-Log-Result.
 *
 * A function that fails answers 200 with `X-Amz-Function-Error: Unhandled` and Lambda's
 * `{errorType, errorMessage, trace}`, as Lambda does; the stack stays in the function's log (as on
 * /v1), so `trace` is empty. Failures of the platform (throttles, unknown functions, bodies over
 * 6 MB) are errors of the types the SDK throws (errors.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionVersion } from '../../domain/index.js';
import type { NimbusError } from '../../shared/errors.js';
import { MAX_BODY_BYTES } from '../../sandbox/protocol.js';
import { readBody } from '../../shared/http.js';
import { uuidv7 } from '../../shared/ids.js';
import { ASYNC_PAYLOAD_BYTES } from '../invoke.js';
import type { ControlDeps } from '../table.js';
import { authenticate, precheck, requireApp, requireScope } from './auth.js';
import { AwsError, sendAwsError, toAwsError } from './errors.js';
import { parseFunctionName, resolveVersion } from './names.js';

/** What `LogType: Tail` returns at most, as Lambda: the last 4 KB. */
export const TAIL_BYTES = 4096;
const TYPES = ['RequestResponse', 'Event', 'DryRun'] as const;
type InvocationType = (typeof TYPES)[number];

/** Function failures a caller gets as a 200 with X-Amz-Function-Error, and the errorType Lambda names them with. */
const UNHANDLED: Partial<Record<NimbusError['code'], string>> = {
  FUNCTION_ERROR: 'Error',
  FUNCTION_TIMEOUT: 'Sandbox.Timedout',
  FUNCTION_OOM: 'Runtime.OutOfMemory',
  FUNCTION_CRASHED: 'Runtime.ExitError',
  FUNCTION_INIT_ERROR: 'Runtime.InitError',
  INVALID_RESPONSE: 'Runtime.InvalidResponse',
  RESPONSE_TOO_LARGE: 'Function.ResponseSizeTooLarge',
};

export async function lambdaInvoke(deps: ControlDeps, req: IncomingMessage, res: ServerResponse, functionName: string, qualifier: string | undefined): Promise<void> {
  const requestId = uuidv7();
  try {
    await precheck(req, deps.keys, Date.now());
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      throw toAwsError(err).type === 'RequestTooLargeException' ? new AwsError('RequestTooLargeException', `Request must be smaller than ${MAX_BODY_BYTES} bytes for the Invoke operation`) : err;
    }
    const who = await authenticate(req, body, deps.keys, Date.now());
    requireScope(who, 'InvokeFunction', ['invoke']);
    const ref = parseFunctionName(functionName, qualifier, who.principal.apps);
    requireApp(who, 'InvokeFunction', ref.app, ref.fn);
    const type = invocationType(req);
    const fn = await resolveVersion(ref, { current: (a, f) => deps.deployments.current(a, f), getVersion: (a, f, n) => deps.store.getVersion(a, f, n), resolveAlias: deps.resolveAlias }, who.region);
    const event = parsePayload(body);
    if (type === 'DryRun') {
      res.writeHead(204, { 'x-amzn-requestid': requestId, 'x-amz-executed-version': String(fn.version) });
      res.end();
      return;
    }
    if (type === 'Event') return await invokeEvent(deps, res, fn, event, body.length);
    await invokeSync(deps, req, res, fn, event, requestId);
  } catch (err) {
    if (!req.readableEnded) req.resume();
    sendAwsError(res, toAwsError(err), requestId);
  }
}

function invocationType(req: IncomingMessage): InvocationType {
  const raw = req.headers['x-amz-invocation-type'];
  if (raw === undefined) return 'RequestResponse';
  const found = TYPES.find((t) => t === String(raw));
  if (!found) throw new AwsError('InvalidParameterValueException', `X-Amz-Invocation-Type must be RequestResponse, Event or DryRun; got "${String(raw)}"`);
  return found;
}

function parsePayload(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    // Not V8's message: it would quote the payload.
    throw new AwsError('InvalidRequestContentException', 'Could not parse request body into json: the payload must be JSON');
  }
}

async function invokeEvent(deps: ControlDeps, res: ServerResponse, fn: FunctionVersion, event: unknown, size: number): Promise<void> {
  if (!deps.events) throw new AwsError('ServiceException', 'asynchronous invocations are not enabled on this node');
  if (size > ASYNC_PAYLOAD_BYTES) throw new AwsError('RequestTooLargeException', `Request must be smaller than ${ASYNC_PAYLOAD_BYTES} bytes for an Event invocation`);
  const active = deps.deployments.current(fn.app, fn.name);
  // The durable queue delivers to the active version (retries may run after a deploy): say so rather than run another.
  if (active?.version !== fn.version) {
    throw new AwsError('InvalidParameterValueException', `Event invocations run the active version (${active?.version ?? '-'}); version ${fn.version} can only be invoked with RequestResponse`);
  }
  const result = await deps.events.submit({ app: fn.app, function: fn.name }, { source: 'invoke', shape: 'invoke', payload: event });
  res.writeHead(202, { 'x-amzn-requestid': result.id, 'x-nimbus-invocation-id': result.id, 'content-length': 0 });
  res.end();
}

async function invokeSync(deps: ControlDeps, req: IncomingMessage, res: ServerResponse, fn: FunctionVersion, event: unknown, id: string): Promise<void> {
  // A version asked for by number (or an alias's) runs as asked, not the active one.
  const pinned = deps.deployments.current(fn.app, fn.name)?.version !== fn.version;
  const outcome = await deps.runtime.invoke(fn, { kind: 'event', event }, { id, trigger: 'api', startedAt: Date.now(), pinned });
  const headers: Record<string, string> = { 'x-amzn-requestid': id, 'x-nimbus-invocation-id': id, 'x-amz-executed-version': String(outcome.record.version) };
  if (req.headers['x-amz-log-type'] === 'Tail') headers['x-amz-log-result'] = await logTail(deps, fn, id);
  let payload: Buffer;
  if (outcome.ok) {
    const out = outcome.result.res;
    // A web-style function answered with a Response: its body is the payload.
    payload = out ? (out.b64 ? Buffer.from(out.body, 'base64') : Buffer.from(out.body)) : Buffer.from(JSON.stringify(outcome.result.value ?? null));
  } else {
    const errorType = UNHANDLED[outcome.error.code];
    if (errorType === undefined) throw outcome.error;
    const thrown = outcome.error.details?.['errorType'];
    headers['x-amz-function-error'] = 'Unhandled';
    const name = outcome.error.code === 'FUNCTION_ERROR' && typeof thrown === 'string' ? thrown : errorType;
    // The thrown error's own message, as Lambda reports it (the record's message also says where it was thrown).
    const bare = outcome.error.details?.['errorMessage'];
    payload = Buffer.from(JSON.stringify({ errorType: name, errorMessage: typeof bare === 'string' ? bare : outcome.error.message, trace: [] }));
  }
  res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) });
  res.end(payload);
}

/** The invocation's log lines (REPORT included), last 4 KB, base64: flushed first, so they are all stored. */
async function logTail(deps: ControlDeps, fn: FunctionVersion, id: string): Promise<string> {
  await deps.telemetry.flush();
  const page = await deps.store.queryLogs({ app: fn.app, function: fn.name, invocationId: id, limit: 1000 });
  const text = Buffer.from(page.lines.map((l) => `${l.line}\n`).join(''));
  return text.subarray(Math.max(0, text.length - TAIL_BYTES)).toString('base64');
}

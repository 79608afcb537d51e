/**
 * Lambda compatibility: the API Gateway HTTP API payload v2.0 event, the `context` object, and
 * the conversion of a handler's result into an HTTP response (the v2.0 response format rules:
 * an object with `statusCode` is a response; any other value becomes a 200 JSON body).
 */
import type { FunctionMeta, WireRequest, WireResponse } from './protocol.js';
import type { LambdaContext as PublicLambdaContext } from '../types/events.js';

export type LambdaHandler = (event: unknown, context: LambdaContext, callback?: (err: unknown, value?: unknown) => void) => unknown;

/** The public type (src/types/events.ts) with untyped env; a type-only import, erased at build. */
export type LambdaContext = PublicLambdaContext<Readonly<Record<string, unknown>>>;

export function lambdaContext(id: string, deadline: number, fn: FunctionMeta, env: Readonly<Record<string, unknown>>, traceparent?: string): LambdaContext {
  const context: LambdaContext = {
    awsRequestId: id,
    functionName: fn.name,
    functionVersion: String(fn.version),
    invokedFunctionArn: `arn:nimbus:lambda:local:000000000000:function:${fn.app}-${fn.name}:${fn.version}`,
    memoryLimitInMB: String(fn.memory),
    // The names the instance's environment carries (runtime/lambda-env.ts), as on Lambda.
    logGroupName: fn.logGroup ?? `/aws/lambda/${fn.app}-${fn.name}`,
    logStreamName: fn.logStream ?? `${fn.version}/${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    env,
  };
  if (traceparent !== undefined) context.traceparent = traceparent;
  return context;
}

/** Call a handler that may be async or callback style (`(event, context, callback)`). */
export function callLambda(handler: LambdaHandler, event: unknown, context: LambdaContext): Promise<unknown> {
  if (handler.length < 3) return Promise.resolve().then(() => handler(event, context));
  return new Promise((resolve, reject) => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- Lambda's callback(err) fails with whatever the handler passed, as on AWS.
    const callback = (err: unknown, value?: unknown) => (err ? reject(err) : resolve(value));
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof (returned as Promise<unknown>).then === 'function') (returned as Promise<unknown>).then(resolve, reject);
    } catch (err) {
      reject(err);
    }
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let clfCache = { second: -1, text: '' };

/** `27/Nov/2026:09:00:00 +0000`, formatted once a second at most. */
function clfTime(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (clfCache.second !== second) clfCache = { second, text: formatClf(d) };
  return clfCache.text;
}

function formatClf(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** The API Gateway HTTP API (payload format 2.0) event for a request. */
export function httpApiEvent(id: string, req: WireRequest, fn: FunctionMeta): Record<string, unknown> {
  const now = new Date();
  const headers = { ...req.headers };
  const cookieHeader = headers['cookie'];
  delete headers['cookie'];
  // The domain is the gateway's origin's host (the Host header, checked to be host[:port] before routing).
  const domain = req.origin ? req.origin.replace(/^https?:\/\//, '') : (headers['host'] ?? 'localhost');
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: req.route,
    rawPath: req.path,
    rawQueryString: req.query,
    headers,
    requestContext: {
      accountId: 'nimbus',
      apiId: fn.app,
      domainName: domain,
      domainPrefix: domain.split('.')[0],
      http: { method: req.method, path: safeDecode(req.path), protocol: 'HTTP/1.1', sourceIp: req.ip, userAgent: headers['user-agent'] ?? '' },
      requestId: id,
      routeKey: req.route,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
      // As API Gateway HTTP API: a JWT authorizer's claims, or a Lambda authorizer's context.
      ...(req.auth?.type === 'jwt' ? { authorizer: { jwt: { claims: req.auth.claims, scopes: req.auth.scopes } } } : {}),
      ...(req.auth?.type === 'function' ? { authorizer: { lambda: req.auth.context } } : {}),
    },
    isBase64Encoded: req.b64,
  };
  if (cookieHeader) event['cookies'] = cookieHeader.split(/;\s*/);
  if (req.query) event['queryStringParameters'] = queryParameters(req.query);
  if (Object.keys(req.params).length > 0) event['pathParameters'] = req.params;
  if (req.body !== null) event['body'] = req.body;
  return event;
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Repeated keys are joined with commas, as API Gateway does. */
function queryParameters(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) out[k] = k in out ? `${out[k]},${v}` : v;
  return out;
}

/** Turn a Lambda result into an HTTP response, following the payload v2.0 response rules. */
export function lambdaResultToResponse(result: unknown): WireResponse {
  if (result !== null && typeof result === 'object' && 'statusCode' in result) {
    const r = result as { statusCode: unknown; headers?: Record<string, unknown>; multiValueHeaders?: Record<string, unknown[]>; body?: unknown; isBase64Encoded?: boolean; cookies?: unknown[] };
    const status = Number(r.statusCode);
    if (!Number.isInteger(status) || status < 200 || status > 599) throw new TypeError(`statusCode must be an integer between 200 and 599, got ${String(r.statusCode)}`);
    const headers: [string, string][] = [];
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- header values are stringified as API Gateway does, objects included.
    for (const [k, v] of Object.entries(r.headers ?? {})) if (v !== undefined && v !== null) headers.push([k.toLowerCase(), String(v)]);
    for (const [k, vs] of Object.entries(r.multiValueHeaders ?? {})) for (const v of vs ?? []) headers.push([k.toLowerCase(), String(v)]);
    for (const c of r.cookies ?? []) headers.push(['set-cookie', String(c)]);
    const body = r.body === undefined || r.body === null ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    return { status, headers, body, b64: r.isBase64Encoded === true };
  }
  const body = typeof result === 'string' ? result : result === undefined ? '' : JSON.stringify(result);
  return { status: 200, headers: [['content-type', 'application/json']], body, b64: false };
}

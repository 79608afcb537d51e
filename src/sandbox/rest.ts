/**
 * Lambda compatibility, API Gateway REST API (payload format 1.0): the proxy-integration event of
 * an http trigger with `payload: '1.0'`, and its response rules. Code written for REST APIs reads
 * `event.path`, `event.resource`, `event.httpMethod` and headers as the client spelled them
 * (`event.headers['X-Hub-Signature']`); the gateway sends the raw header list for such routes.
 *
 * As API Gateway does: `headers` and `queryStringParameters` hold the last value of a repeated
 * name, `multiValue*` all of them; absent maps are null, not `{}`; a result that is not an object
 * with a `statusCode` is a malformed proxy response (502), not a 200 JSON body as in payload 2.0.
 */
import { lambdaResultToResponse } from './lambda.js';
import type { FunctionMeta, WireRequest, WireResponse } from './protocol.js';

/** The API Gateway REST API (payload format 1.0) event for a request. */
export function restApiEvent(id: string, req: WireRequest, fn: FunctionMeta): Record<string, unknown> {
  const now = new Date();
  const { headers, multiValueHeaders } = headerMaps(req);
  const lower = req.headers;
  const domain = req.origin ? req.origin.replace(/^https?:\/\//, '') : (lower['host'] ?? 'localhost');
  const resource = req.resource ?? req.route.slice(req.route.indexOf(' ') + 1);
  const query = queryMaps(req.query);
  return {
    resource,
    path: req.path,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query?.single ?? null,
    multiValueQueryStringParameters: query?.multi ?? null,
    pathParameters: Object.keys(req.params).length > 0 ? req.params : null,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: fn.app,
      domainName: domain,
      domainPrefix: domain.split('.')[0],
      extendedRequestId: id,
      httpMethod: req.method,
      identity: {
        accessKey: null,
        accountId: null,
        caller: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.ip,
        user: null,
        userAgent: lower['user-agent'] ?? null,
        userArn: null,
      },
      path: req.path,
      protocol: 'HTTP/1.1',
      requestId: id,
      requestTime: clf(now),
      requestTimeEpoch: now.getTime(),
      resourceId: fn.name,
      resourcePath: resource,
      stage: '$default',
      // As REST APIs pass them: a Cognito/JWT authorizer's claims, a Lambda authorizer's context.
      ...(req.auth?.type === 'jwt' ? { authorizer: { claims: req.auth.claims, scopes: req.auth.scopes } } : {}),
      ...(req.auth?.type === 'function' ? { authorizer: { ...req.auth.context } } : {}),
    },
    body: req.body,
    isBase64Encoded: req.b64,
  };
}

/** A REST API proxy response: an object with a statusCode (headers, multiValueHeaders, body, isBase64Encoded). */
export function restResultToResponse(result: unknown): WireResponse {
  if (result === null || typeof result !== 'object' || !('statusCode' in result))
    throw new TypeError('a handler on a payload 1.0 (REST API) route must return { statusCode, headers?, multiValueHeaders?, body?, isBase64Encoded? }');
  // REST APIs know no `cookies` field: Set-Cookie goes in (multiValue)headers.
  const rest = { ...(result as Record<string, unknown>) };
  delete rest['cookies'];
  return lambdaResultToResponse(rest);
}

/** Names as the client sent them (raw headers), else the gateway's lower-case ones. */
function headerMaps(req: WireRequest): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const raw = req.rawHeaders;
  if (raw) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      const value = raw[i + 1]!;
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
  } else {
    for (const [name, value] of Object.entries(req.headers)) {
      headers[name] = value;
      multiValueHeaders[name] = [value];
    }
  }
  return { headers, multiValueHeaders };
}

function queryMaps(query: string): { single: Record<string, string>; multi: Record<string, string[]> } | undefined {
  if (!query) return undefined;
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(query)) {
    single[k] = v;
    (multi[k] ??= []).push(v);
  }
  return Object.keys(single).length > 0 ? { single, multi } : undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `27/Nov/2026:09:00:00 +0000` */
function clf(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

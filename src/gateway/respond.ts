/**
 * Writing a function's response: the function is not trusted to frame HTTP. Its status must be a
 * final one (200–599: an interim 1xx, or 101 Switching Protocols, would desync the connection);
 * framing and hop-by-hop headers are the gateway's; platform headers (`x-nimbus-*`) are the
 * platform's; a header node:http would refuse becomes a clean 502 before anything is written;
 * 204, 304 and HEAD answers carry no body (204/304 no length either).
 */
import { validateHeaderName, validateHeaderValue, type ServerResponse } from 'node:http';
import type { WireResponse } from '../sandbox/protocol.js';
import { NimbusError } from '../shared/errors.js';
import { sendError } from '../shared/http.js';
import { publicError } from './public-error.js';

/** Set by the gateway alone, whatever the function returns. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer', 'te', 'proxy-connection']);

/** Why the function's response cannot be sent as is, or undefined. */
export function responseProblem(out: WireResponse): string | undefined {
  if (!Number.isInteger(out.status) || out.status < 200 || out.status > 599) return `status ${String(out.status)} is not a final HTTP status (200–599)`;
  for (const [k, v] of out.headers) {
    try {
      validateHeaderName(k);
      validateHeaderValue(k, v);
    } catch (err) {
      return `header ${JSON.stringify(k)} cannot be sent: ${(err as Error).message}`;
    }
  }
  return undefined;
}

/** The function's headers that the gateway passes on, then the route's CORS headers, as a flat name/value list. */
export function functionHeaders(pairs: [string, string][], cors: [string, string][] | undefined): string[] {
  const headers: string[] = [];
  for (const [k, v] of pairs) {
    const name = k.toLowerCase();
    if (FRAMING.has(name) || name.startsWith('x-nimbus-')) continue;
    // Several Vary headers combine (RFC 9110 §5.3), so the function's stays beside the gateway's.
    if (cors !== undefined && name.startsWith('access-control-')) continue;
    headers.push(k, v);
  }
  for (const [k, v] of cors ?? []) headers.push(k, v);
  return headers;
}

/**
 * Write the function's answer (already checked by `responseProblem`). `cors`: the route's CORS
 * headers, which replace any Access-Control-* headers the function set; `platform`: x-nimbus-*
 * headers of the gateway's (the version that ran).
 */
export function sendFunctionResponse(res: ServerResponse, out: WireResponse, method: string, invocationId: string, cors?: [string, string][], platform: [string, string][] = []): void {
  const problem = responseProblem(out);
  if (problem !== undefined) {
    // The problem quotes what the function sent: public callers get the generic message only.
    sendError(res, publicError(new NimbusError('INVALID_RESPONSE', `the function's response cannot be sent: ${problem}`)), invocationId, [...(cors ?? []), ...platform]);
    return;
  }
  const headers = functionHeaders(out.headers, cors);
  const noBody = out.status === 204 || out.status === 304;
  const payload = noBody ? '' : out.b64 ? Buffer.from(out.body, 'base64') : out.body;
  // HEAD keeps the length a GET would have had (RFC 9110 §9.3.2); 204 and 304 have none.
  if (!noBody) headers.push('content-length', String(typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length));
  headers.push('x-nimbus-invocation-id', invocationId);
  for (const [k, v] of platform) headers.push(k, v);
  res.writeHead(out.status, headers);
  res.end(method === 'HEAD' || noBody ? undefined : payload);
}

/** Small helpers for reading requests and writing answers on node:http, shared by both servers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NimbusError } from './errors.js';

/** Collect a request body up to `limit` bytes; over it → PAYLOAD_TOO_LARGE (413). */
const EMPTY = Buffer.alloc(0);

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  // HTTP/1.1: no Content-Length and no Transfer-Encoding means no body; skip the stream machinery.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return Promise.resolve(EMPTY);
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function tooLarge(limit: number): NimbusError {
  return new NimbusError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit / 1024 / 1024} MB`);
}

/** Answer with a NimbusError as JSON. */
export function sendError(res: ServerResponse, error: NimbusError, invocationId?: string, extra: [string, string][] = []): void {
  const body = JSON.stringify(error.toJSON(invocationId));
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (invocationId !== undefined) headers['x-nimbus-invocation-id'] = invocationId;
  const retryAfter = error.details?.['retryAfter'];
  if (error.code === 'THROTTLED' || error.code === 'OVERLOADED' || error.code === 'SPAWN_FAILED' || error.code === 'RATE_LIMITED') {
    headers['retry-after'] = typeof retryAfter === 'number' ? retryAfter : 1;
  }
  // Route auth's challenge (RFC 6750): a 401 tells the client how to authenticate.
  const challenge = error.details?.['wwwAuthenticate'];
  if (typeof challenge === 'string') headers['www-authenticate'] = challenge;
  for (const [k, v] of extra) headers[k] = v;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(error.status, headers);
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

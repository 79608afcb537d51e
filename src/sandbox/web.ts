/**
 * Workers-style (`fetch(request, env, ctx)`) support: build the Request a function sees and
 * read the Response it returns into the wire format.
 */
import { isUtf8 } from 'node:buffer';
import type { WireRequest, WireResponse } from './protocol.js';
import { MAX_BODY_BYTES } from './protocol.js';

export interface WebHandler {
  fetch(request: Request, env: Record<string, unknown>, ctx: WebContext): unknown;
}

export interface WebContext {
  invocationId: string;
  functionName: string;
  version: number;
  /** Epoch ms after which the invocation is killed. */
  deadline: number;
  waitUntil(promise: unknown): void;
  passThroughOnException(): void;
}

export function toRequest(req: WireRequest): Request {
  const host = req.headers['host'] ?? 'localhost';
  const url = `http://${host}${req.path}${req.query ? `?${req.query}` : ''}`;
  const init: RequestInit = { method: req.method, headers: req.headers };
  if (req.body !== null && req.method !== 'GET' && req.method !== 'HEAD') {
    init.body = req.b64 ? Buffer.from(req.body, 'base64') : req.body;
  }
  return new Request(url, init);
}

/** A request for a direct (API) invocation of a web-style function: the event is the JSON body. */
export function eventRequest(event: unknown): Request {
  return new Request('http://invoke.nimbus/', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event ?? null),
  });
}

export class ResponseTooLarge extends Error {
  override readonly name = 'ResponseTooLarge';
}

export async function fromResponse(value: unknown): Promise<WireResponse> {
  if (!(value instanceof Response)) {
    throw new TypeError(`fetch() must return a Response, got ${value === null ? 'null' : typeof value}`);
  }
  const headers: [string, string][] = [];
  for (const [k, v] of value.headers) if (k !== 'set-cookie') headers.push([k, v]);
  for (const c of value.headers.getSetCookie()) headers.push(['set-cookie', c]);
  const bytes = Buffer.from(await value.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) throw new ResponseTooLarge(`response body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES}`);
  const text = isUtf8(bytes);
  return { status: value.status, headers, body: bytes.toString(text ? 'utf8' : 'base64'), b64: !text };
}

/**
 * Workers-style (`fetch(request, env, ctx)`) support: build the Request a function sees and
 * read the Response it returns into the wire format.
 */
import { isUtf8 } from 'node:buffer';
import type { WireRequest, WireResponse } from './protocol.js';
import { MAX_BODY_BYTES } from './protocol.js';
import type { WebContext } from '../types/events.js';
import { LightRequest, lightParts, nativeResponse } from './light.js';

/** A web module's default export: at least one of these, each needed only for its kind of event. */
export interface WebHandler {
  fetch?(request: Request, env: Readonly<Record<string, unknown>>, ctx: WebContext): unknown;
  scheduled?(event: object, env: Readonly<Record<string, unknown>>, ctx: WebContext): unknown;
  queue?(batch: object, env: Readonly<Record<string, unknown>>, ctx: WebContext): unknown;
  email?(message: object, env: Readonly<Record<string, unknown>>, ctx: WebContext): unknown;
}

/** The public type (src/types/events.ts), imported for its shape only: nothing is loaded at run time. */
export type { WebContext };

export function toRequest(req: WireRequest): Request {
  // The gateway's origin and the routed path: what the router matched is what the function reads.
  const origin = req.origin ?? `http://${req.headers['host'] ?? 'localhost'}`;
  const url = `${origin}${req.path}${req.query ? `?${req.query}` : ''}`;
  const body = req.body === null ? null : req.b64 ? Buffer.from(req.body, 'base64') : req.body;
  return new LightRequest({ method: req.method, url, headers: req.headers, body }) as unknown as Request;
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
  const light = lightParts(value);
  if (light) return fromLight(light[0], light[1]);
  const response = nativeResponse(value);
  if (!response) {
    const got = value === null ? 'null' : typeof value === 'object' ? `an object (${Object.prototype.toString.call(value)})` : typeof value;
    throw new TypeError(`fetch() must return a Response, got ${got}`);
  }
  const headers = responseHeaders(response);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) throw new ResponseTooLarge(`response body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES}`);
  const text = isUtf8(bytes);
  return { status: response.status, headers, body: bytes.toString(text ? 'utf8' : 'base64'), b64: !text };
}

/** A Response's headers as wire pairs, each Set-Cookie its own. */
export function responseHeaders(response: Response): [string, string][] {
  const headers: [string, string][] = [];
  for (const [k, v] of response.headers) if (k !== 'set-cookie') headers.push([k, v]);
  for (const c of response.headers.getSetCookie()) headers.push(['set-cookie', c]);
  return headers;
}

/** The fast path: a Response made from a string (or nothing) that nobody materialised. */
function fromLight(body: string | null, init: ResponseInit | undefined): WireResponse {
  const headers: [string, string][] = [];
  const h = init?.headers;
  if (h instanceof Headers) {
    for (const [k, v] of h) if (k !== 'set-cookie') headers.push([k, v]);
    for (const c of h.getSetCookie()) headers.push(['set-cookie', c]);
  } else if (Array.isArray(h)) {
    for (const [k, v] of h as [string, string][]) headers.push([k.toLowerCase(), String(v)]);
  } else if (h) {
    for (const [k, v] of Object.entries(h)) headers.push([k.toLowerCase(), String(v)]);
  }
  // As undici does for a string body without a content type.
  if (body !== null && !headers.some(([k]) => k === 'content-type')) headers.push(['content-type', 'text/plain;charset=UTF-8']);
  const text = body ?? '';
  if (text.length > MAX_BODY_BYTES / 3 && Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new ResponseTooLarge(`response body is ${Buffer.byteLength(text)} bytes; the limit is ${MAX_BODY_BYTES}`);
  }
  const status = init?.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`invalid status ${String(status)}: a Response status must be 200..599`);
  return { status, headers, body: text, b64: false };
}

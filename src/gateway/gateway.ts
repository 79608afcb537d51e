/**
 * The gateway: public HTTP traffic → route → function → runtime → response.
 *
 *   accept → match route (404 ROUTE_NOT_FOUND) → read body (413 over 6 MB) → runtime.invoke
 *   (an instance is reused, started, or the call is THROTTLED) → write the function's response,
 *   or the error as JSON, always with X-Nimbus-Invocation-Id once a function was involved.
 *
 * The route table is replaced whole on every deploy (`setFunctions`), so requests see either the
 * old or the new set of routes, never a mix.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { AddressInfo } from 'node:net';
import type { FunctionVersion } from '../domain/index.js';
import type { EventQueue } from '../queue/port.js';
import type { Cancellation, Runtime } from '../runtime/index.js';
import type { WireRequest } from '../sandbox/protocol.js';
import { MAX_BODY_BYTES } from '../sandbox/protocol.js';
import { NimbusError, toNimbusError } from '../shared/errors.js';
import { uuidv7 } from '../shared/ids.js';
import { readBody, sendError } from '../shared/http.js';
import { RouteTable } from './router.js';
import { handleWebhook, WebhookTable } from './webhooks.js';

export interface GatewayOptions {
  runtime: Runtime;
  /** Where verified webhook requests are queued; without it webhook paths are not served. */
  events?: Pick<EventQueue, 'enqueue'>;
  log?: (line: string) => void;
}

export class Gateway {
  private routes = new RouteTable([]);
  private webhooks = new WebhookTable([]);
  private readonly server: Server;

  constructor(private readonly options: GatewayOptions) {
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => void this.handle(req, res));
  }

  /** Swap in the routes of this set of active function versions. */
  setFunctions(functions: Iterable<FunctionVersion>): void {
    const list = [...functions];
    this.routes = new RouteTable(list);
    this.webhooks = new WebhookTable(list);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  /** Stop accepting; in-flight requests finish (up to `graceMs`), idle keep-alive sockets close. */
  async close(graceMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive connections become idle as their last response ends: close them as they do.
    const sweeper = setInterval(() => this.server.closeIdleConnections(), 50);
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
    clearInterval(sweeper);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const acceptedAt = performance.now();
    const startedAt = Date.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    // Webhook paths come before HTTP routes: a signed POST is queued, never run inline.
    const hook = method === 'POST' && this.options.events ? this.webhooks.get(path) : undefined;
    if (hook) return handleWebhook(req, res, path, hook, { queue: this.options.events!, headers: flatHeaders, log: this.options.log });
    const match = this.routes.find(method, path);
    if (!match) {
      req.resume();
      sendError(res, new NimbusError('ROUTE_NOT_FOUND', `no function is deployed on ${method} ${path}`));
      return;
    }
    const id = uuidv7();
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      sendError(res, toNimbusError(err), id);
      return;
    }
    const text = body.length === 0 ? null : isUtf8(body);
    const wire: WireRequest = {
      method,
      path,
      query: q === -1 ? '' : url.slice(q + 1),
      headers: flatHeaders(req),
      body: text === null ? null : body.toString(text ? 'utf8' : 'base64'),
      b64: text === false,
      params: match.params,
      route: match.target.route,
      ip: req.socket.remoteAddress ?? '',
    };
    // A client that goes away is dropped from the instance queue, and its record says so (499).
    const cancel: Cancellation = {
      get aborted() {
        return res.destroyed && !res.writableFinished;
      },
      watch: (onAbort) => {
        const listener = () => {
          if (!res.writableFinished) onAbort();
        };
        res.once('close', listener);
        return () => res.off('close', listener);
      },
    };
    const outcome = await this.options.runtime.invoke(match.target.fn, { kind: 'http', req: wire }, { id, trigger: 'http', startedAt, acceptedAt, cancel });
    if (cancel.aborted) return;
    if (!outcome.ok) {
      sendError(res, outcome.error, id);
      return;
    }
    const out = outcome.result.res;
    if (!out) {
      sendError(res, new NimbusError('INVALID_RESPONSE', 'the function returned no HTTP response'), id);
      return;
    }
    const payload = out.b64 ? Buffer.from(out.body, 'base64') : out.body;
    const headers: string[] = [];
    for (const [k, v] of out.headers) {
      if (k === 'content-length' || k === 'transfer-encoding' || k === 'connection') continue;
      headers.push(k, v);
    }
    headers.push('content-length', String(typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length), 'x-nimbus-invocation-id', id);
    try {
      res.writeHead(out.status, headers);
      res.end(method === 'HEAD' ? undefined : payload);
    } catch (err) {
      // A header the function set that node:http refuses (bad characters) is the function's fault.
      sendError(res, new NimbusError('INVALID_RESPONSE', `the function's response cannot be sent: ${(err as Error).message}`), id);
    }
  }
}

/** Node joins repeated headers already; only set-cookie stays an array. */
function flatHeaders(req: IncomingMessage): Record<string, string> {
  if (req.headers['set-cookie'] === undefined) return req.headers as Record<string, string>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * The gateway: public HTTP traffic → route → function → runtime → response.
 *
 *   accept (over the total or per-address connection limit: 503 and closed, limits.ts) → headers
 *   within `headersTimeoutMs` → path and Host checked (400 BAD_REQUEST for dot segments, backslashes
 *   or a Host that is not host[:port], request-check.ts) → GET /healthz answered by the gateway itself (503 once the node drains)
 *   (no route shadows it) → namespace from the Host (router.ts) → match route (HEAD falls back to GET;
 *   404 ROUTE_NOT_FOUND) → body admitted against the node's byte budget before it is read (413 over
 *   6 MB, 503 OVERLOADED over the budget, 408 past `bodyTimeoutMs`, body.ts) → runtime.invoke (an
 *   instance is reused, started, or the call is THROTTLED) → the function's response written under
 *   the gateway's rules (respond.ts), or the error as JSON (a function's failure with a generic
 *   message, public-error.ts), always with X-Nimbus-Invocation-Id once a function was involved, and
 *   X-Nimbus-Version: the version that ran (a route's `alias:`, or a canary's share, picks it: `route`).
 *
 * The function's URL is built from the gateway's origin (`http://` + the checked Host, or the
 * listening address when there is none) and the path the router matched, never from raw header text.
 *
 * The route table is replaced whole on every deploy (`setFunctions`), so requests see either the
 * old or the new set of routes, never a mix.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { AddressInfo, Socket } from 'node:net';
import type { FunctionVersion } from '../domain/index.js';
import type { EventQueue } from '../queue/port.js';
import type { Cancellation, Runtime } from '../runtime/index.js';
import type { WireRequest } from '../sandbox/protocol.js';
import { MAX_BODY_BYTES } from '../sandbox/protocol.js';
import { NimbusError, toNimbusError } from '../shared/errors.js';
import { uuidv7 } from '../shared/ids.js';
import { sendError, sendJson } from '../shared/http.js';
import { requestHost } from '../manifest/index.js';
import { readAdmittedBody } from './body.js';
import { ByteBudget, ConnectionLimiter, DEFAULT_MAX_CONNECTIONS_PER_CLIENT, defaultBodyBudget, defaultMaxConnections, openFileLimit } from './limits.js';
import { pathProblem, validHost } from './request-check.js';
import { sendFunctionResponse } from './respond.js';
import { ResponseStream } from './stream.js';
import { publicError } from './public-error.js';
import { functionPath, RouteTable } from './router.js';
import { handleWebhook, WebhookTable } from './webhooks.js';
import { isPreflight, preflightHeaders, responseHeaders, type HeaderPairs } from './cors.js';
import type { JwksOptions } from './jwt.js';
import { RouteGuard } from './route-guard.js';
import { HTTP_METHODS } from '../manifest/index.js';
import type { SecretSource } from '../secrets/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { traceRequest } from './trace.js';
import type { Tracer } from '@opentelemetry/api';

export interface GatewayOptions {
  runtime: Runtime;
  /** Where route auth reads `secret:` values (JWT HMAC keys, API keys); without it those routes refuse every request. */
  secrets?: SecretSource;
  /** JWKS fetching of JWT routes: cooldown between fetches (30 s), fetch timeout (5 s). */
  jwks?: JwksOptions;
  /** For rate-limit buckets and token expiry. Default the system clock. */
  clock?: Clock;
  /** Where verified webhook requests are queued; without it webhook paths are not served. */
  events?: Pick<EventQueue, 'enqueue'>;
  log?: (line: string) => void;
  limits?: Partial<GatewayLimits>;
  /** The node's tracer: a SERVER span per routed request. Absent: no spans; a caller's traceparent is still passed on. */
  tracer?: Tracer;
  /**
   * Told of every answer node:http sends (metrics; `nimbus dev` prints method, path and status),
   * those that never reached a function included.
   */
  answered?: (status: number, req: IncomingMessage, invocationId: string | undefined) => void;
  /**
   * Which version runs a request routed to `fn` (the active version): the route's `alias`, or a
   * canary's share (Deployments.route). May throw (ALIAS_NOT_FOUND). Absent: `fn`.
   */
  route?: (fn: FunctionVersion, alias: string | undefined) => FunctionVersion;
}

/** What a public endpoint needs bounded (defaults in `resolveLimits`). */
export interface GatewayLimits {
  /** Open connections at most (default from the open-file limit, limits.ts). */
  maxConnections: number;
  /** Open connections per remote address at most. Default 256. */
  maxConnectionsPerClient: number;
  /** Time to receive a request's headers, ms. Default 10 s. */
  headersTimeoutMs: number;
  /** Time to receive a request's whole body, ms. Default 30 s. */
  bodyTimeoutMs: number;
  /** Request-body bytes held at once, node-wide. Default 1/16 of memory, between 64 MB and 1 GB. */
  maxBodyBytesInFlight: number;
}

export function resolveLimits(given: Partial<GatewayLimits> = {}, maxInstances = 64): GatewayLimits {
  const maxConnections = given.maxConnections ?? defaultMaxConnections(openFileLimit(), maxInstances);
  return {
    maxConnections,
    maxConnectionsPerClient: given.maxConnectionsPerClient ?? Math.min(DEFAULT_MAX_CONNECTIONS_PER_CLIENT, maxConnections),
    headersTimeoutMs: given.headersTimeoutMs ?? 10_000,
    bodyTimeoutMs: given.bodyTimeoutMs ?? 30_000,
    maxBodyBytesInFlight: given.maxBodyBytesInFlight ?? defaultBodyBudget(),
  };
}

export class Gateway {
  private routes = new RouteTable([]);
  private webhooks = new WebhookTable([]);
  /** Active versions by `app/name`: where authorizer functions are found. */
  private active = new Map<string, FunctionVersion>();
  private readonly guard: RouteGuard;
  private readonly server: Server;
  readonly limits: GatewayLimits;
  private readonly budget: ByteBudget;
  private readonly connections: ConnectionLimiter;
  /** `http://<listening address>`: the origin a function sees when the request named no host. */
  private origin = 'http://localhost';
  /** The invocation id a request was given, for `answered` (headers go out in writeHead, unreadable after). */
  private readonly invocationIds = new WeakMap<ServerResponse, string>();
  /** Set by `drain()`: /healthz answers 503 so a load balancer stops sending new requests here. */
  private draining = false;

  constructor(private readonly options: GatewayOptions) {
    const limits = (this.limits = resolveLimits(options.limits));
    this.budget = new ByteBudget(limits.maxBodyBytesInFlight);
    this.connections = new ConnectionLimiter(limits);
    this.guard = new RouteGuard(
      { secrets: options.secrets, clock: options.clock ?? systemClock, jwks: options.jwks, log: options.log },
      { runtime: options.runtime, function: (app, name) => this.active.get(`${app}/${name}`) },
    );
    this.server = createServer(
      {
        keepAliveTimeout: 65_000,
        headersTimeout: limits.headersTimeoutMs,
        // node:http's own bound on a whole request (the body reader has the tighter one); checked each second.
        requestTimeout: limits.headersTimeoutMs + limits.bodyTimeoutMs,
        connectionsCheckingInterval: 1000,
      },
      (req, res) => {
        const done = this.handle(req, res).catch((err: unknown) => sendError(res, toNimbusError(err)));
        const answered = options.answered;
        if (answered) void done.then(() => answered(res.statusCode, req, this.invocationIds.get(res)));
      },
    );
    this.server.on('connection', (socket: Socket) => this.connections.admit(socket));
  }

  /** Connections open now and request-body bytes held now. */
  load(): { connections: number; bodyBytes: number } {
    return { connections: this.connections.open, bodyBytes: this.budget.inFlight };
  }

  /** Swap in the routes of this set of active function versions. */
  setFunctions(functions: Iterable<FunctionVersion>): void {
    const list = [...functions];
    this.routes = new RouteTable(list);
    this.webhooks = new WebhookTable(list);
    this.active = new Map(list.map((fn) => [`${fn.app}/${fn.name}`, fn]));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        // Out of descriptors, accept() fails (EMFILE): libuv sheds the connection; the node must not die of it.
        this.server.on('error', (err) => this.options.log?.(`gateway: ${err.message}`));
        const address = this.server.address() as AddressInfo;
        this.origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
        resolve(address.port);
      });
    });
  }

  /**
   * The node is about to close: `GET /healthz` answers 503 `{"status": "draining"}` from now on, while
   * every other request is still served, so the load balancer's health check takes the node out
   * before `close()` stops accepting (nimbus up waits its drain period between the two).
   */
  drain(): void {
    this.draining = true;
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
    const host = req.headers.host;
    const problem = pathProblem(path) ?? (host === undefined || validHost(host) ? undefined : 'the Host header must be a host name or address with an optional port');
    if (problem !== undefined) {
      req.resume();
      sendError(res, new NimbusError('BAD_REQUEST', `bad request: ${problem}`));
      return;
    }
    // Platform paths are answered first, whatever the deployed routes cover.
    if (path === '/healthz' && (method === 'GET' || method === 'HEAD')) {
      req.resume();
      if (this.draining) sendJson(res, 503, { ok: false, status: 'draining' });
      else sendJson(res, 200, { ok: true });
      return;
    }
    // The namespace: the app claiming this Host, else the default one (apps claiming no host).
    const ns = this.routes.hosts.resolve(requestHost(host));
    // Webhook paths come before HTTP routes: a signed POST is queued, never run inline.
    const hook = method === 'POST' && this.options.events ? this.webhooks.get(path, ns) : undefined;
    if (hook) {
      // Webhook bodies are read by webhooks.ts; their declared length counts against the same budget.
      const declared = Math.min(Number(req.headers['content-length'] ?? 0) || 0, MAX_BODY_BYTES + 1);
      if (!this.budget.reserve(declared)) {
        req.resume();
        res.shouldKeepAlive = false;
        sendError(res, new NimbusError('OVERLOADED', 'the gateway holds as many request bodies as it may; retry later', { details: { retryAfter: 1 } }));
        return;
      }
      res.once('close', () => this.budget.release(declared));
      return handleWebhook(req, res, path, hook, { queue: this.options.events!, headers: flatHeaders, log: this.options.log });
    }
    // A CORS preflight is answered here when the route of the method it asks about has `cors`.
    if (isPreflight(method, req.headers)) {
      const askedMethod = String(req.headers['access-control-request-method']).toUpperCase();
      // Only real methods reach the router (its method table is a plain object).
      const asked = (HTTP_METHODS as readonly string[]).includes(askedMethod) && askedMethod !== 'ANY' ? this.routes.find(askedMethod, path, ns) : undefined;
      const cors = asked?.target.trigger.cors;
      if (cors) {
        req.resume();
        res.writeHead(
          204,
          [...preflightHeaders(cors, req.headers.origin, String(req.headers['access-control-request-method']), header(req, 'access-control-request-headers')), ['content-length', '0']].flat(),
        );
        res.end();
        return;
      }
    }
    const match = this.routes.find(method, path, ns);
    if (!match) {
      req.resume();
      sendError(res, new NimbusError('ROUTE_NOT_FOUND', `no function is deployed on ${method} ${path}`));
      return;
    }
    const { trigger, fn } = match.target;
    const traceparent = traceRequest(this.options.tracer, req, res, match.target.route, path, startedAt);
    const cors: HeaderPairs = trigger.cors ? responseHeaders(trigger.cors, req.headers.origin) : [];
    const wire: WireRequest = {
      method,
      path: functionPath(path, match.target.basePath),
      query: q === -1 ? '' : url.slice(q + 1),
      headers: flatHeaders(req),
      body: null,
      b64: false,
      params: match.params,
      route: match.target.route,
      ip: req.socket.remoteAddress ?? '',
      origin: host === undefined ? this.origin : `http://${host}`,
    };
    // REST API (payload 1.0) events carry the route template and the headers as the client spelled them.
    if (trigger.payload === '1.0') Object.assign(wire, { payload: '1.0', resource: trigger.path, rawHeaders: req.rawHeaders });
    // Auth and rate limits before the body is read: a refused request costs no buffering, no instance.
    if (trigger.auth !== undefined || trigger.rateLimit !== undefined) {
      const verdict = await this.guard.check(fn.app, trigger, wire);
      if (!verdict.ok) {
        req.resume();
        sendError(res, verdict.error, undefined, cors);
        return;
      }
      if (verdict.auth) wire.auth = verdict.auth;
    }
    let target = fn;
    try {
      target = this.options.route ? this.options.route(fn, trigger.alias) : fn;
    } catch (err) {
      req.resume();
      sendError(res, toNimbusError(err), undefined, cors);
      return;
    }
    const id = uuidv7();
    this.invocationIds.set(res, id);
    let body: Buffer;
    try {
      body = await readAdmittedBody(req, res, { maxBytes: MAX_BODY_BYTES, budget: this.budget, timeoutMs: this.limits.bodyTimeoutMs });
    } catch (err) {
      sendError(res, publicError(toNimbusError(err)), id, cors);
      return;
    }
    const text = body.length === 0 ? null : isUtf8(body);
    wire.body = text === null ? null : body.toString(text ? 'utf8' : 'base64');
    wire.b64 = text === false;
    // A streamed response (stream.ts) is written as it comes; a buffered one after the invocation, below.
    const stream = new ResponseStream(res, method, id, trigger.cors ? cors : undefined);
    // A client that goes away is dropped from the instance queue, and its record says so (499).
    const cancel: Cancellation = {
      get aborted() {
        return res.destroyed && !res.writableFinished && !stream.aborted;
      },
      watch: (onAbort) => {
        const listener = () => {
          if (!res.writableFinished) onAbort();
        };
        res.once('close', listener);
        return () => res.off('close', listener);
      },
    };
    const outcome = await this.options.runtime.invoke(
      target,
      { kind: 'http', req: wire },
      { id, trigger: 'http', startedAt, acceptedAt, cancel, stream, ...(traceparent !== undefined ? { traceparent } : {}) },
    );
    if (stream.used) return stream.settle();
    if (cancel.aborted) return;
    const version: [string, string] = ['x-nimbus-version', String(outcome.record.version)];
    if (!outcome.ok) {
      sendError(res, publicError(outcome.error), id, [...cors, version]);
      return;
    }
    const out = outcome.result.res;
    if (!out) {
      sendError(res, new NimbusError('INVALID_RESPONSE', 'the function returned no HTTP response'), id, [...cors, version]);
      return;
    }
    sendFunctionResponse(res, out, method, id, trigger.cors ? cors : undefined, [version]);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
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

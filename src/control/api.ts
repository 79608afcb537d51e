/**
 * The control API server: JSON over HTTP under /v1, for the CLI, scripts and the dashboard.
 * Every endpoint comes from the route table (routes.ts); this file only runs it: authenticate
 * the bearer key, route (find-my-way), authorize (access.ts), validate query and body with the
 * route's zod schemas (400 BAD_REQUEST naming the issue's path), call the handler, answer, and
 * record the call in the audit trail when the route mutates state. Every failure is a
 * NimbusError rendered as `{"error": {...}}` with its table status.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import FindMyWay from 'find-my-way';
import type { z } from 'zod';
import { NimbusError, toNimbusError } from '../shared/errors.js';
import { sendError, sendJson } from '../shared/http.js';
import { authorize, locateApp } from './access.js';
import { buildOpenApi } from './openapi.js';
import { readJson } from './request.js';
import { staticFiles } from './static.js';
import { openApiRoute, ROUTES } from './routes.js';
import { isRaw, NOBODY, pathParams, routerPath, type ControlDeps, type Ctx, type Principal, type Route } from './table.js';

export interface ControlApiOptions extends ControlDeps {
  /** The table to serve; default the whole one (tests may serve less). */
  routes?: readonly Route[];
  log?: (line: string) => void;
  /** More facts for the unauthenticated `/healthz` (e.g. `{ isolation }`: the layers this node applies). */
  health?: () => Record<string, unknown>;
  clock?: () => number;
  /** How long audit entries are kept (default 90 days; invocation records keep 7). */
  auditRetentionMs?: number;
  /** The built dashboard (dist/dashboard), served at `/` beside `/v1`; none = not served. */
  dashboardDir?: string;
}

const AUDIT_RETENTION_MS = 90 * 24 * 3600_000;
const AUDIT_PRUNE_EVERY_MS = 10 * 60_000;

const JSON_BODY_BYTES = 64 * 1024;

export class ControlApi {
  private readonly server: Server;
  private readonly router = FindMyWay({ ignoreTrailingSlash: true });
  private readonly openApi: ReturnType<typeof buildOpenApi>;
  private readonly routes: readonly Route[];
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly dashboard: ReturnType<typeof staticFiles> | undefined;

  constructor(private readonly o: ControlApiOptions) {
    this.routes = o.routes ?? ROUTES;
    this.openApi = buildOpenApi(this.routes);
    for (const r of this.routes) this.router.on(r.method, routerPath(r.path), () => {}, r);
    this.dashboard = o.dashboardDir === undefined ? undefined : staticFiles(o.dashboardDir);
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** `METHOD /path` of every route the router serves, in OpenAPI syntax: the contract test compares them with the document. */
  served(): string[] {
    const registered = (this.router as unknown as { routes: Array<{ method: string; path: string }> }).routes;
    return registered.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}').replace('*', '{key}')}`);
  }

  listen(port: number, host: string): Promise<number> {
    // The audit trail is kept longer than records, not forever: a busy publisher appends per call.
    const retention = this.o.auditRetentionMs ?? AUDIT_RETENTION_MS;
    const prune = () => void this.o.store.pruneAudit((this.o.clock ?? Date.now)() - retention).catch((err: unknown) => this.o.log?.(`audit prune failed: ${String(err)}`));
    this.pruneTimer ??= setInterval(prune, AUDIT_PRUNE_EVERY_MS).unref();
    prune();
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive connections become idle as their last response ends: close them as they do.
    const sweeper = setInterval(() => this.server.closeIdleConnections(), 50);
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), 5000);
    timer.unref();
    await closed;
    clearTimeout(timer);
    clearInterval(sweeper);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://control');
      if (url.pathname === '/healthz') return sendJson(res, 200, { ok: true, ...this.o.health?.() });
      // The dashboard's files are public (they hold no data); it signs in to /v1 with a key.
      // Only paths no route claims (`/metrics` is a route outside /v1).
      const routed = this.router.find(req.method as FindMyWay.HTTPMethod, url.pathname) !== null;
      if (this.dashboard && !routed && url.pathname !== '/v1' && !url.pathname.startsWith('/v1/') && (await this.dashboard(req, res, url.pathname))) return;
      const own = this.router.find(req.method as FindMyWay.HTTPMethod, url.pathname);
      if (own && (own.store as Route).auth === 'sigv4') return await this.runSigV4(own.store as Route, req, res, named(own.store as Route, own.params), url.searchParams);
      const key = await this.authenticate(req);
      if (!key) {
        req.resume();
        throw new NimbusError(
          'UNAUTHORIZED',
          'send a key as `Authorization: Bearer <key>`: the admin key in <data-dir>/admin.key, or an API key from `nimbus keys create` (unknown, expired and revoked keys are refused)',
        );
      }
      const found = this.router.find(req.method as FindMyWay.HTTPMethod, url.pathname);
      if (!found) {
        req.resume();
        const other = ['GET', 'POST', 'PUT', 'DELETE'].some((m) => this.router.find(m as FindMyWay.HTTPMethod, url.pathname));
        throw other
          ? new NimbusError('METHOD_NOT_ALLOWED', `${req.method} is not supported on ${url.pathname}; see /v1/openapi.json`)
          : new NimbusError('NOT_FOUND', `no endpoint ${url.pathname}; see /v1/openapi.json`);
      }
      const route = found.store as Route;
      await this.run(route, req, res, key, named(route, found.params), url.searchParams);
    } catch (err) {
      this.fail(req, res, err);
    }
  }

  /** One call of a route: checks, handler, answer, audit entry. */
  private async run(route: Route, req: IncomingMessage, res: ServerResponse, key: Principal, params: Record<string, string>, search: URLSearchParams): Promise<void> {
    const audit: Ctx<unknown, unknown>['audit'] = {};
    let app: string | undefined;
    let answer: unknown;
    let failure: unknown;
    try {
      if (route.app !== 'none' && (key.apps.length > 0 || route.audit)) app = await locateApp(route, params, this.o);
      authorize(key, route, params, app);
      const query = route.query ? check(route.query, firstValues(search), 'query') : {};
      const body = await this.body(route, req);
      const visible = (a: string) => key.apps.length === 0 || key.apps.includes(a);
      answer = route === openApiRoute ? this.openApi : await route.handle({ req, res, params, query, body, key, deps: this.o, visible, audit });
    } catch (err) {
      failure = err;
    }
    if (route.audit) await this.record(route, key, app ?? params['app'] ?? null, audit.target ?? target(route, params), failure);
    if (failure !== undefined) return this.fail(req, res, failure);
    if (!isRaw(route.response)) sendJson(res, route.status ?? 200, answer);
  }

  /** A route that authenticates (SigV4) and answers its errors itself: only the query is checked here. */
  private async runSigV4(route: Route, req: IncomingMessage, res: ServerResponse, params: Record<string, string>, search: URLSearchParams): Promise<void> {
    const query = route.query ? check(route.query, firstValues(search), 'query') : {};
    await route.handle({ req, res, params, query, body: undefined, key: NOBODY, deps: this.o, visible: () => false, audit: {} });
  }

  private async body(route: Route, req: IncomingMessage): Promise<unknown> {
    if (route.body === undefined || isRaw(route.body)) return undefined;
    const json = await readJson(req, route.bodyLimit ?? JSON_BODY_BYTES);
    return route.bodyCheckedByHandler ? json : check(route.body, json ?? {}, 'body');
  }

  private async authenticate(req: IncomingMessage): Promise<Principal | undefined> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return match ? this.o.keys.authenticate(match[1]!) : undefined;
  }

  private async record(route: Route, key: Principal, app: string | null, target: string | null, failure: unknown): Promise<void> {
    const outcome = failure === undefined ? 'ok' : toNimbusError(failure).code;
    try {
      await this.o.store.appendAudit({ ts: (this.o.clock ?? Date.now)(), keyId: key.id, keyName: key.name, action: route.audit!, app, target, outcome });
    } catch (err) {
      this.o.log?.(`control API: audit entry for ${route.audit} not written: ${(err as Error).message}`);
    }
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const e = toNimbusError(err);
    if (e.code === 'INTERNAL') this.o.log?.(`control API: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
    if (!req.readableEnded) req.resume();
    sendError(res, e);
  }
}

/** Validate with a route's schema; the issues' paths say what to fix. */
function check(schema: z.ZodType, value: unknown, where: 'query' | 'body'): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ in: where, path: i.path.map(String).join('.'), message: i.message }));
  const text = issues.map((i) => `${i.path === '' ? where : `${where}.${i.path}`}: ${i.message}`).join('; ');
  throw new NimbusError('BAD_REQUEST', `the request ${where} is invalid: ${text}`, { details: { issues } });
}

/** find-my-way's params under the table's names (`*` → the `{key+}` name). */
function named(route: Route, params: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of pathParams(route.path)) out[name] = params[name] ?? params['*'] ?? '';
  return out;
}

function firstValues(search: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of search) if (!(k in out)) out[k] = v;
  return out;
}

/** What an audit entry names inside the app: the path's parameters after the app (`cart`, `uploads/a.txt`). */
function target(route: Route, params: Record<string, string>): string | null {
  const parts = pathParams(route.path)
    .filter((p) => p !== 'app')
    .map((p) => params[p]!);
  return parts.length > 0 ? parts.join('/') : null;
}

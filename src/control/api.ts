/**
 * The control API: JSON over HTTP under /v1, for the CLI, scripts and (later) the dashboard.
 * Every /v1 request needs `Authorization: Bearer <admin key>`; every failure is a NimbusError
 * rendered as `{"error": {...}}` with its table status.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import FindMyWay from 'find-my-way';
import type { Deployments } from '../deploy/index.js';
import type { EventService } from '../queue/index.js';
import type { Runtime } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import { withReportLines, type TelemetryWriter } from '../telemetry/index.js';
import { NimbusError, toNimbusError } from '../shared/errors.js';
import { uuidv7 } from '../shared/ids.js';
import { sendError, sendJson } from '../shared/http.js';
import { MAX_BODY_BYTES } from '../sandbox/protocol.js';
import { invokeAsync, isAsyncInvoke } from './events-routes.js';
import { openApiDocument } from './openapi.js';
import { num, readJson, type RouteHandler, type RouteModule } from './route-module.js';
import { functionView, versionView } from './views.js';

export interface ControlApiOptions {
  adminKey: string;
  /** More endpoints (events, storage…), registered after the core ones. */
  modules?: RouteModule[];
  /** Async invokes (`X-Nimbus-Invocation-Type: Event`) go to the event queue through it. */
  events?: EventService;
  deployments: Deployments;
  runtime: Runtime;
  store: Store;
  telemetry: TelemetryWriter;
  log?: (line: string) => void;
  /** More facts for the unauthenticated `/healthz` (e.g. `{ isolation }`: the layers this node applies). */
  health?: () => Record<string, unknown>;
}

type Handler = RouteHandler;

/** Deploy bodies carry every bundle of an app. */
const MAX_DEPLOY_BYTES = 128 * 1024 * 1024;

export class ControlApi {
  private readonly server: Server;
  private readonly router = FindMyWay({ ignoreTrailingSlash: true });
  private readonly keyDigest: Buffer;

  constructor(private readonly o: ControlApiOptions) {
    this.keyDigest = digest(o.adminKey);
    this.routes();
    for (const mod of o.modules ?? []) mod((method, path, handler) => this.on(method, path, handler));
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  async close(): Promise<void> {
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

  private on(method: FindMyWay.HTTPMethod, path: string, handler: Handler): void {
    this.router.on(method, path, () => {}, handler);
  }

  private routes(): void {
    const d = this.o.deployments;
    const view = async (app: string, name: string) => functionView(await d.mustGet(app, name), this.o.runtime.stats(app, name));
    this.on('GET', '/v1/openapi.json', async ({ res }) => sendJson(res, 200, openApiDocument));
    this.on('PUT', '/v1/apps/:app', async ({ req, res, params }) => {
      const body = await readJson(req, MAX_DEPLOY_BYTES);
      sendJson(res, 200, await d.deploy(params['app']!, body));
    });
    this.on('GET', '/v1/apps', async ({ res }) => sendJson(res, 200, { apps: await this.o.store.listApps() }));
    this.on('DELETE', '/v1/apps/:app', async ({ res, params }) => {
      await d.deleteApp(params['app']!);
      sendJson(res, 200, { deleted: true });
    });
    const list = async (res: ServerResponse, app?: string) => {
      const fns = await this.o.store.listFunctions(app);
      sendJson(res, 200, { functions: fns.map((f) => functionView(f, this.o.runtime.stats(f.app, f.name))) });
    };
    this.on('GET', '/v1/functions', async ({ res }) => list(res));
    this.on('GET', '/v1/apps/:app/functions', async ({ res, params }) => list(res, params['app']));
    this.on('GET', '/v1/apps/:app/functions/:fn', async ({ res, params }) => sendJson(res, 200, await view(params['app']!, params['fn']!)));
    this.on('DELETE', '/v1/apps/:app/functions/:fn', async ({ res, params }) => {
      await d.deleteFunction(params['app']!, params['fn']!);
      sendJson(res, 200, { deleted: true });
    });
    this.on('GET', '/v1/apps/:app/functions/:fn/versions', async ({ res, params }) => {
      const fn = await d.mustGet(params['app']!, params['fn']!);
      const versions = await this.o.store.listVersions(fn.app, fn.name);
      sendJson(res, 200, { versions: versions.map((v) => versionView(v, fn.activeVersion)) });
    });
    this.on('POST', '/v1/apps/:app/functions/:fn/rollback', async ({ req, res, params }) => {
      const body = (await readJson(req, 64 * 1024)) ?? {};
      const to = (body as { to?: unknown }).to;
      if (to !== undefined && (!Number.isInteger(to) || (to as number) < 1)) throw new NimbusError('BAD_REQUEST', '"to" must be a version number (a positive integer)');
      await d.rollback(params['app']!, params['fn']!, to as number | undefined);
      sendJson(res, 200, await view(params['app']!, params['fn']!));
    });
    this.on('POST', '/v1/apps/:app/functions/:fn/invoke', async ({ req, res, params }) => this.invoke(req, res, params['app']!, params['fn']!));
    this.on('GET', '/v1/apps/:app/functions/:fn/invocations', async ({ res, params, query }) => {
      const fn = await d.mustGet(params['app']!, params['fn']!);
      await this.o.telemetry.flush();
      const invocations = await this.o.store.listInvocations({ app: fn.app, function: fn.name, limit: num(query.get('limit')), before: num(query.get('before')) });
      sendJson(res, 200, { invocations });
    });
    this.on('GET', '/v1/invocations/:id', async ({ res, params }) => {
      const id = params['id']!;
      const record = this.o.telemetry.pendingInvocation(id) ?? (await this.o.store.getInvocation(id));
      if (!record) throw new NimbusError('INVOCATION_NOT_FOUND', `no invocation ${id} (records are kept 7 days)`);
      sendJson(res, 200, record);
    });
    this.on('GET', '/v1/apps/:app/functions/:fn/logs', async ({ res, params, query }) => {
      const app = params['app']!;
      const name = params['fn']!;
      await this.o.telemetry.flush();
      const invocationId = query.get('invocation') ?? undefined;
      const after = num(query.get('after'));
      // One bounded page (≤ 1,000 lines, ~1 MB; a larger limit is clamped): indexed and cheap, so
      // it runs on this thread without stalling the gateway. `more`: ask again with after=next.
      const { lines, more } = await this.o.store.queryLogs({ app, function: name, invocationId, afterSeq: after, limit: num(query.get('limit')) });
      const next = lines.at(-1)?.seq ?? after ?? 0;
      if (lines.length === 0 && !d.current(app, name)) throw new NimbusError('FUNCTION_NOT_FOUND', `no function ${app}/${name} is deployed and none left logs; see \`nimbus ls\``);
      const out = lines.map((l) => ({ seq: l.seq, invocationId: l.invocationId, ts: l.ts, stream: l.stream, line: l.line, version: l.version }));
      // A silent successful invocation has no stored REPORT line (see TelemetryWriter.record):
      // its log still ends with one, derived from the record.
      if (invocationId !== undefined && after === undefined && !more && !lines.some((l) => l.stream === 'system' && l.line.startsWith('REPORT '))) {
        const record = await this.o.store.getInvocation(invocationId);
        if (record && record.app === app && record.function === name) {
          const [report] = withReportLines([record], []);
          if (report) out.push({ seq: next, invocationId, ts: report.ts, stream: report.stream, line: report.line, version: report.version });
        }
      }
      sendJson(res, 200, { lines: out, next, more });
    });
  }

  private async invoke(req: IncomingMessage, res: ServerResponse, app: string, name: string): Promise<void> {
    if (isAsyncInvoke(req)) return invokeAsync(this.o.events, req, res, app, name);
    const startedAt = Date.now();
    const fn = this.o.deployments.current(app, name);
    if (!fn) throw new NimbusError('FUNCTION_NOT_FOUND', `no function ${app}/${name} is deployed; see \`nimbus ls\``);
    const event = await readJson(req, MAX_BODY_BYTES);
    const id = uuidv7();
    const outcome = await this.o.runtime.invoke(fn, { kind: 'event', event: event ?? {} }, { id, trigger: 'api', startedAt });
    if (!outcome.ok) return sendError(res, outcome.error, id);
    const out = outcome.result.res;
    if (out) {
      const headers: string[] = [];
      for (const [k, v] of out.headers) if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') headers.push(k, v);
      const payload = out.b64 ? Buffer.from(out.body, 'base64') : Buffer.from(out.body);
      headers.push('content-length', String(payload.length), 'x-nimbus-invocation-id', id);
      res.writeHead(out.status, headers);
      res.end(payload);
      return;
    }
    sendJson(res, 200, outcome.result.value ?? null, { 'x-nimbus-invocation-id': id });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://control');
      if (url.pathname === '/healthz') return sendJson(res, 200, { ok: true, ...this.o.health?.() });
      if (!this.authorized(req)) {
        req.resume();
        throw new NimbusError('UNAUTHORIZED', 'send the admin key as `Authorization: Bearer <key>`; it is in <data-dir>/admin.key');
      }
      const found = this.router.find(req.method as FindMyWay.HTTPMethod, url.pathname);
      if (!found) {
        req.resume();
        const other = ['GET', 'POST', 'PUT', 'DELETE'].some((m) => this.router.find(m as FindMyWay.HTTPMethod, url.pathname));
        throw other
          ? new NimbusError('METHOD_NOT_ALLOWED', `${req.method} is not supported on ${url.pathname}; see /v1/openapi.json`)
          : new NimbusError('NOT_FOUND', `no endpoint ${url.pathname}; see /v1/openapi.json`);
      }
      await (found.store as Handler)({ req, res, params: found.params, query: url.searchParams });
    } catch (err) {
      const e = toNimbusError(err);
      if (e.code === 'INTERNAL') this.o.log?.(`control API: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      sendError(res, e);
    }
  }

  private authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return false;
    return timingSafeEqual(digest(match[1]!), this.keyDigest);
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

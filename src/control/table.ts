/**
 * The shape of the control API's one route table (routes.ts). Each endpoint is declared once —
 * method, path, who may call it (scope, and which app it acts on), zod schemas for its query,
 * body and answer, the error codes it may return, a summary, the audit action when it mutates
 * state — and the router, request validation, authorization, the audit trail, the OpenAPI
 * document and the client's types are all derived from that declaration (as tRPC derives
 * everything from a procedure).
 *
 * Adding an endpoint is one `route({...})` in a routes-*.ts file, listed in routes.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { FunctionVersion, PriceSheet, Scope } from '../domain/index.js';
import type { Deployments } from '../deploy/index.js';
import type { EventService } from '../queue/index.js';
import type { Runtime } from '../runtime/index.js';
import type { ErrorCode } from '../shared/errors.js';
import type { StreamingObjectStore } from '../storage/port.js';
import type { Store } from '../store/index.js';
import type { FunctionMetrics, TelemetryWriter } from '../telemetry/index.js';
import type { TopicPublisher } from '../triggers/port.js';
import type { Resources } from '../triggers/resources.js';
import type { Scheduler } from '../triggers/scheduler.js';
import type { Secrets } from '../secrets/index.js';
import type { KeyService } from './keys.js';
import type { Principal } from './principal.js';
import type { ClusterStatusView } from './schemas-cluster.js';

export type { Principal };

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';

/**
 * How a route finds the app it acts on, so that an app-limited key is checked before the handler
 * runs: `param` (the `{app}` path parameter), a lookup (`invocation`: the record's app, `bucket`
 * / `topic`: the owning app), or `none` (not about one app: lists filter themselves, keys and
 * audit are not app-scoped).
 */
export type AppLocator = 'none' | 'param' | 'invocation' | 'bucket' | 'topic';

/** A body or answer that streams (object bytes) or is not JSON: the handler reads / writes it itself. */
export interface Raw {
  raw: true;
  /** The media type for the document, e.g. `*\/*`. */
  contentType: string;
  description: string;
  /** Response headers to document. */
  headers?: Record<string, { description?: string; schema: Record<string, unknown> }>;
}
export const raw = (contentType: string, description: string, headers?: Raw['headers']): Raw => ({ raw: true, contentType, description, ...(headers ? { headers } : {}) });

/** Everything the handlers use; the composition root builds it. */
export interface ControlDeps {
  deployments: Deployments;
  runtime: Runtime;
  store: Store;
  telemetry: TelemetryWriter;
  /** Async invokes (`X-Nimbus-Invocation-Type: Event`) and the DLQ; undefined = not enabled on this node. */
  events?: EventService | undefined;
  objects: StreamingObjectStore & { stats?(): Promise<Map<string, { objects: number; bytes: number }>> };
  topics: TopicPublisher;
  resources: Pick<Resources, 'topics' | 'buckets' | 'topic' | 'bucket'>;
  keys: KeyService;
  secrets: Pick<Secrets, 'list' | 'set' | 'remove' | 'rotateMaster'>;
  /** Aliases (issue 12, built apart): the version an alias of a function points at; undefined = none. Wired at merge. */
  resolveAlias?: ((app: string, fn: string, alias: string) => Promise<FunctionVersion | undefined>) | undefined;
  /** `nimbus run-schedule`: fires a schedule trigger now; undefined = not enabled on this node. */
  schedules?: Pick<Scheduler, 'runNow'> | undefined;
  /** What `/v1/usage` and `/v1/stats` charge; default DEFAULT_PRICES. */
  prices?: PriceSheet | undefined;
  /** The node's Prometheus registry (`GET /metrics`); undefined = not served. */
  metrics?: { scrape(): Promise<string>; contentType: string } | undefined;
  /** Metrics functions declare in EMF lines (telemetry/function-metrics.ts); undefined = not kept. */
  functionMetrics?: Pick<FunctionMetrics, 'summary' | 'points'> | undefined;
  /** `GET /v1/cluster` (issue 11): the nodes sharing the database, or this node alone; undefined = this node as `local`. */
  cluster?: { status(): Promise<ClusterStatusView> } | undefined;
}

export interface Ctx<Q, B> {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path parameters, percent-decoded (`key` holds the rest of the path for `{key+}`). */
  params: Record<string, string>;
  query: Q;
  body: B;
  key: Principal;
  deps: ControlDeps;
  /** Whether the caller may see this app (its key is not limited, or lists it). */
  visible: (app: string) => boolean;
  /** What the audit entry names as the target when the path does not say (e.g. a new key's name). */
  audit: { target?: string };
}

type BodySpec = z.ZodType | Raw | undefined;
type BodyOf<B> = B extends z.ZodType ? z.output<B> : undefined;
type AnswerOf<R> = R extends z.ZodType ? z.input<R> : void;

export interface RouteDef<Q extends z.ZodType | undefined, B extends BodySpec, R extends z.ZodType | Raw> {
  method: Method;
  /** OpenAPI syntax: `/v1/apps/{app}`; `{key+}` takes the rest of the path (object keys). */
  path: string;
  summary: string;
  description?: string;
  /** The scope a key needs; a list means any of them. `admin` keys may call everything. */
  scope: Scope | readonly Scope[];
  app: AppLocator;
  query?: Q;
  body?: B;
  /** JSON bodies: bytes read at most (default 64 KB). */
  bodyLimit?: number;
  /** Leave the body's validation to the handler (deploy: Deployments answers MANIFEST_INVALID with issues). */
  bodyCheckedByHandler?: boolean;
  response: R;
  /** Status of a JSON answer (default 200). */
  status?: number;
  /** Documented request headers. */
  headers?: Array<{ name: string; description: string; schema: Record<string, unknown> }>;
  /** Error codes besides UNAUTHORIZED, FORBIDDEN and BAD_REQUEST, which every route may answer. */
  errors: readonly ErrorCode[];
  /**
   * `sigv4`: the handler authenticates the request itself with AWS Signature Version 4 and answers
   * every error in AWS's shape (the Lambda API, lambda-api/): no bearer key is asked for, `scope`
   * and `app` only document it, and `ctx.key` is the unauthenticated NOBODY. Default `bearer`.
   */
  auth?: 'bearer' | 'sigv4';
  /** Set on state-changing routes: the action recorded in the audit trail (`app.deploy`). */
  audit?: string;
  /** Returns the JSON answer; a Raw route writes `ctx.res` itself. */
  handle(ctx: Ctx<Q extends z.ZodType ? z.output<Q> : Record<string, never>, BodyOf<B>>): Promise<AnswerOf<R>>;
}

/** A route with its types erased, as the table holds it. */
export type Route = RouteDef<z.ZodType | undefined, BodySpec, z.ZodType | Raw>;

/** Declare one endpoint; the types of the handler's query, body and answer follow from the schemas. */
export function route<Q extends z.ZodType | undefined = undefined, B extends BodySpec = undefined, R extends z.ZodType | Raw = z.ZodType>(def: RouteDef<Q, B, R>): Route {
  return def;
}

export function isRaw(x: unknown): x is Raw {
  return typeof x === 'object' && x !== null && (x as Raw).raw === true;
}

/** What each scope grants: `admin` everything, `deploy` also `read`; `invoke` and `read` only themselves. */
export const GRANTS: Record<Scope, readonly Scope[]> = {
  admin: ['admin', 'deploy', 'invoke', 'read'],
  deploy: ['deploy', 'read'],
  invoke: ['invoke'],
  read: ['read'],
};

/** The caller of a `sigv4` route before its handler authenticated it: may see nothing. */
export const NOBODY: Principal = { id: 'unauthenticated', name: 'unauthenticated', scope: 'read', apps: ['\u0000'] };

export function scopesOf(r: Pick<Route, 'scope'>): readonly Scope[] {
  return typeof r.scope === 'string' ? [r.scope] : r.scope;
}

export function allows(key: Scope, r: Pick<Route, 'scope'>): boolean {
  return scopesOf(r).some((s) => GRANTS[key].includes(s));
}

/** Path parameter names in order: `/v1/buckets/{bucket}/objects/{key+}` → bucket, key. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]!);
}

/** find-my-way syntax: `{app}` → `:app`, `{key+}` → `*`. */
export function routerPath(path: string): string {
  return path.replace(/\{\w+\+\}/g, '*').replace(/\{(\w+)\}/g, ':$1');
}

/** OpenAPI syntax: `{key+}` → `{key}`. */
export function openApiPath(path: string): string {
  return path.replace(/\{(\w+)\+\}/g, '{$1}');
}

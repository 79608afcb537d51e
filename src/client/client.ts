/**
 * A typed client of the control API (docs/control-api.md): one method per endpoint.
 * Non-2xx answers become the server's NimbusError; a sync invoke's failure is returned, not thrown,
 * because it is the function's outcome rather than a failure of the call.
 */
import type { AppSpec } from '../domain/index.js';
import { NimbusError, isErrorCode } from '../shared/errors.js';
import type {
  AppSummary,
  AsyncInvokeView,
  DeadEventView,
  BundleInput,
  DeployAppResult,
  FunctionView,
  InvocationRecord,
  InvocationsQuery,
  InvokeError,
  InvokeResult,
  LogsPage,
  LogsQuery,
  VersionView,
} from './types.js';
import type { BucketView, ObjectInfo, ObjectList, PublishResult, SecretInfo, TopicView } from './storage-types.js';
import type { AuditEntryView, AuditQuery, CreatedKey, CreateKeyInput, KeyView } from './keys-types.js';
import type { FunctionMetricsAnswer, FunctionMetricsQuery, StatsAnswer, StatsQuery, UsageAnswer, UsageQuery } from './stats-types.js';
import type { AliasRecord, CanaryRecord, CanaryRequest, CanaryStatus } from './alias-types.js';
import type { ClusterStatus } from './cluster-types.js';

export interface NimbusClientOptions {
  /** The control API's base URL, e.g. http://127.0.0.1:8081 */
  url: string;
  /** The admin key; without it every `/v1` call answers UNAUTHORIZED. */
  key?: string | undefined;
  /** Injectable for tests and custom agents. */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined>;

interface Call {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  path: string;
  query?: Query;
  body?: unknown;
  /** A body sent as is (objects) instead of JSON. */
  raw?: { bytes: Uint8Array; contentType: string };
  headers?: Record<string, string>;
}

const seg = encodeURIComponent;

export class NimbusClient {
  readonly url: string;
  readonly #key: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: NimbusClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#key = options.key;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** Make `spec` the app's whole set of functions; `bundles` holds each function's bundled code. */
  async deployApp(app: string, spec: AppSpec, bundles: Record<string, BundleInput>, options: { canary?: CanaryRequest } = {}): Promise<DeployAppResult & { canary?: CanaryRecord }> {
    // Only `code` goes on the wire even when the bundler's richer result is passed in.
    const wire: Record<string, BundleInput> = {};
    for (const [name, b] of Object.entries(bundles)) wire[name] = { code: b.code };
    return this.#json({ method: 'PUT', path: `/v1/apps/${seg(app)}`, body: { spec, bundles: wire, ...(options.canary ? { canary: options.canary } : {}) } });
  }

  /** A function's aliases by name. */
  async listAliases(app: string, fn: string): Promise<AliasRecord[]> {
    const r = await this.#json<{ aliases: AliasRecord[] }>({ method: 'GET', path: `${fnPath(app, fn)}/aliases` });
    return r.aliases;
  }

  /** Create or move alias `name` to `version`, optionally with `weighted.weight` % of its traffic on `weighted.version`. */
  async setAlias(app: string, fn: string, name: string, version: number, weighted?: { version: number; weight: number }): Promise<AliasRecord> {
    return this.#json({ method: 'PUT', path: `${fnPath(app, fn)}/aliases/${seg(name)}`, body: { version, weighted: weighted ?? null } });
  }

  async deleteAlias(app: string, fn: string, name: string): Promise<{ deleted: boolean }> {
    return this.#json({ method: 'DELETE', path: `${fnPath(app, fn)}/aliases/${seg(name)}` });
  }

  /** The app's running canary deploy (with counts), else its last one. */
  async canaryStatus(app: string): Promise<CanaryStatus> {
    return this.#json({ method: 'GET', path: `/v1/apps/${seg(app)}/canary` });
  }

  /** Roll the app's running canary back now. */
  async abortCanary(app: string): Promise<CanaryRecord> {
    return this.#json({ method: 'POST', path: `/v1/apps/${seg(app)}/canary/abort` });
  }

  async listApps(): Promise<AppSummary[]> {
    const r = await this.#json<{ apps: AppSummary[] }>({ method: 'GET', path: '/v1/apps' });
    return r.apps;
  }

  async deleteApp(app: string): Promise<{ deleted: boolean }> {
    return this.#json({ method: 'DELETE', path: `/v1/apps/${seg(app)}` });
  }

  /** Every function, or one app's. */
  async listFunctions(app?: string): Promise<FunctionView[]> {
    const path = app === undefined ? '/v1/functions' : `/v1/apps/${seg(app)}/functions`;
    const r = await this.#json<{ functions: FunctionView[] }>({ method: 'GET', path });
    return r.functions;
  }

  async getFunction(app: string, fn: string): Promise<FunctionView> {
    return this.#json({ method: 'GET', path: fnPath(app, fn) });
  }

  async deleteFunction(app: string, fn: string): Promise<{ deleted: boolean }> {
    return this.#json({ method: 'DELETE', path: fnPath(app, fn) });
  }

  /** Oldest first. */
  async listVersions(app: string, fn: string): Promise<VersionView[]> {
    const path = `${fnPath(app, fn)}/versions`;
    const r = await this.#json<{ versions: VersionView[] }>({ method: 'GET', path });
    return r.versions;
  }

  /** Activate version `to`, or by default the one before the active version. */
  async rollback(app: string, fn: string, to?: number): Promise<FunctionView> {
    const body = to === undefined ? {} : { to };
    return this.#json({ method: 'POST', path: `${fnPath(app, fn)}/rollback`, body });
  }

  /**
   * Run the function's active version with `event` and wait for its answer. Answers that carry an
   * invocation id (success or function failure) are returned; refusals without one (unknown
   * function, bad key) throw like every other call.
   */
  async invoke(app: string, fn: string, event: unknown): Promise<InvokeResult> {
    const res = await this.#send({ method: 'POST', path: `${fnPath(app, fn)}/invoke`, body: event ?? null });
    const body = await res.text();
    const error = res.ok ? null : parseInvokeError(body);
    const invocationId = res.headers.get('x-nimbus-invocation-id') ?? stringField(error?.details, 'invocationId') ?? null;
    if (!res.ok && invocationId === null) throw errorFromAnswer(res.status, body);
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return {
      invocationId: invocationId ?? '',
      status: res.status,
      headers,
      body,
      json: () => JSON.parse(body) as unknown,
      error,
    };
  }

  /**
   * Queue `event` for the function and return once it is durable (202); the function runs later,
   * at least once. A repeated `idempotencyKey` (24 h) returns the first invocation id.
   */
  async invokeAsync(app: string, fn: string, event: unknown, options: { idempotencyKey?: string } = {}): Promise<AsyncInvokeView> {
    const headers: Record<string, string> = { 'x-nimbus-invocation-type': 'Event' };
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    return this.#json({ method: 'POST', path: `${fnPath(app, fn)}/invoke`, body: event ?? null, headers });
  }

  /** Dead-lettered events of a function, most recent first. */
  async listDead(app: string, fn: string, query: { limit?: number } = {}): Promise<DeadEventView[]> {
    const r = await this.#json<{ events: DeadEventView[] }>({ method: 'GET', path: `${fnPath(app, fn)}/dlq`, query: { limit: query.limit } });
    return r.events;
  }

  /** Queue dead-lettered events again: all of the function's, or the one with `id`. */
  async redrive(app: string, fn: string, id?: string): Promise<{ redriven: number }> {
    return this.#json({ method: 'POST', path: `${fnPath(app, fn)}/dlq/redrive`, body: id === undefined ? {} : { id } });
  }

  /** Events waiting for or in delivery to the function. */
  async queueDepth(app: string, fn: string): Promise<{ depth: number }> {
    return this.#json({ method: 'GET', path: `${fnPath(app, fn)}/queue` });
  }

  /** Fire the function's schedule trigger now (`schedule`: which one, when it has several); returns the queued event's id. */
  async runSchedule(app: string, fn: string, schedule?: string): Promise<{ eventId: string; schedule: string }> {
    return this.#json({ method: 'POST', path: `${fnPath(app, fn)}/schedule/run`, body: schedule === undefined ? {} : { schedule } });
  }

  async getInvocation(id: string): Promise<InvocationRecord> {
    return this.#json({ method: 'GET', path: `/v1/invocations/${seg(id)}` });
  }

  /** Newest first. */
  async listInvocations(app: string, fn: string, query: InvocationsQuery = {}): Promise<InvocationRecord[]> {
    const r = await this.#json<{ invocations: InvocationRecord[] }>({
      method: 'GET',
      path: `${fnPath(app, fn)}/invocations`,
      query: { limit: query.limit, before: query.before },
    });
    return r.invocations;
  }

  /** Oldest first; pass the answer's `next` as `after` to get the lines that follow. */
  async logs(app: string, fn: string, query: LogsQuery = {}): Promise<LogsPage> {
    return this.#json({
      method: 'GET',
      path: `${fnPath(app, fn)}/logs`,
      query: { invocation: query.invocation, after: query.after, limit: query.limit },
    });
  }

  /** Metrics the function printed in EMF lines: a summary per metric; with `name`, its latest values too. */
  async functionMetrics(app: string, fn: string, query: FunctionMetricsQuery = {}): Promise<FunctionMetricsAnswer> {
    return this.#json({ method: 'GET', path: `${fnPath(app, fn)}/metrics`, query: { name: query.name, since: query.since, limit: query.limit } });
  }

  /** Publish one JSON message to a topic: one delivery per subscribed function. */
  async publish(topic: string, message: unknown, options: { attributes?: Record<string, string> } = {}): Promise<PublishResult> {
    return this.#json({ method: 'POST', path: `/v1/topics/${seg(topic)}`, body: message ?? null, headers: attributeHeader(options.attributes) });
  }

  /** Publish several messages at once (all accepted, or none); `attributes` apply to each. */
  async publishBatch(topic: string, messages: unknown[], options: { attributes?: Record<string, string> } = {}): Promise<PublishResult> {
    return this.#json({ method: 'POST', path: `/v1/topics/${seg(topic)}`, body: { messages }, headers: { 'x-nimbus-batch': 'true', ...attributeHeader(options.attributes) } });
  }

  async listTopics(): Promise<TopicView[]> {
    return (await this.#json<{ topics: TopicView[] }>({ method: 'GET', path: '/v1/topics' })).topics;
  }

  async listBuckets(): Promise<BucketView[]> {
    return (await this.#json<{ buckets: BucketView[] }>({ method: 'GET', path: '/v1/buckets' })).buckets;
  }

  /** Store (replace) an object; its bucket's subscribers get a `created` event. */
  async putObject(bucket: string, key: string, body: Uint8Array | string, contentType?: string): Promise<ObjectInfo> {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const type = contentType ?? (typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream');
    return this.#json({ method: 'PUT', path: objectPath(bucket, key), raw: { bytes, contentType: type } });
  }

  /** The object's bytes and metadata; OBJECT_NOT_FOUND when there is none. */
  async getObject(bucket: string, key: string): Promise<{ info: ObjectInfo; body: Buffer }> {
    const res = await this.#send({ method: 'GET', path: objectPath(bucket, key) });
    if (!res.ok) throw errorFromAnswer(res.status, await res.text());
    return { info: objectInfo(bucket, key, res.headers), body: Buffer.from(await res.arrayBuffer()) };
  }

  /** The object's metadata without its bytes. */
  async headObject(bucket: string, key: string): Promise<ObjectInfo> {
    const res = await this.#send({ method: 'HEAD', path: objectPath(bucket, key) });
    if (!res.ok) throw res.status === 404 ? new NimbusError('OBJECT_NOT_FOUND', `bucket "${bucket}" has no object "${key}" (or no such bucket)`) : errorFromAnswer(res.status, '');
    return objectInfo(bucket, key, res.headers);
  }

  async deleteObject(bucket: string, key: string): Promise<{ deleted: boolean }> {
    return this.#json({ method: 'DELETE', path: objectPath(bucket, key) });
  }

  /** Keys in order; pass the answer's `cursor` to get the next page. */
  async listObjects(bucket: string, query: { prefix?: string; cursor?: string; limit?: number } = {}): Promise<ObjectList> {
    return this.#json({ method: 'GET', path: `/v1/buckets/${seg(bucket)}/objects`, query: { prefix: query.prefix, cursor: query.cursor, limit: query.limit } });
  }

  /** The app's secrets: names and update times, never values. */
  async listSecrets(app: string): Promise<SecretInfo[]> {
    return (await this.#json<{ secrets: SecretInfo[] }>({ method: 'GET', path: `/v1/apps/${seg(app)}/secrets` })).secrets;
  }

  /** Create or replace a secret (instances of functions that use it are replaced). */
  async setSecret(app: string, name: string, value: string): Promise<SecretInfo & { created: boolean }> {
    return this.#json({ method: 'PUT', path: `/v1/apps/${seg(app)}/secrets/${seg(name)}`, body: { value } });
  }

  /** Remove a secret; SECRET_IN_USE while an active function names it. */
  async deleteSecret(app: string, name: string): Promise<{ deleted: boolean }> {
    return this.#json({ method: 'DELETE', path: `/v1/apps/${seg(app)}/secrets/${seg(name)}` });
  }

  /** Re-encrypt every secret under a new master key (`newKey` required when the node uses NIMBUS_MASTER_KEY). */
  async rotateMasterKey(newKey?: string): Promise<{ rotated: number; keySource: 'file' | 'option' }> {
    return this.#json({ method: 'POST', path: '/v1/secrets/rotate-master', body: newKey === undefined ? {} : { newKey } });
  }

  /** API keys, revoked ones too (never the keys themselves). Admin scope. */
  async listKeys(): Promise<KeyView[]> {
    return (await this.#json<{ keys: KeyView[] }>({ method: 'GET', path: '/v1/keys' })).keys;
  }

  /** A new key: `key` is shown in this answer only. Admin scope. */
  async createKey(input: CreateKeyInput): Promise<CreatedKey> {
    return this.#json({ method: 'POST', path: '/v1/keys', body: input });
  }

  /** Revoke a key by id or name. Admin scope. */
  async revokeKey(idOrName: string): Promise<KeyView> {
    return (await this.#json<{ revoked: KeyView }>({ method: 'DELETE', path: `/v1/keys/${seg(idOrName)}` })).revoked;
  }

  /** The audit trail, newest first (`since`: epoch ms or ISO 8601). */
  async audit(query: AuditQuery = {}): Promise<AuditEntryView[]> {
    const q = { app: query.app, since: query.since, limit: query.limit };
    return (await this.#json<{ entries: AuditEntryView[] }>({ method: 'GET', path: '/v1/audit', query: q })).entries;
  }

  /** Invocations, errors, throttles, cold starts, duration percentiles, GB-seconds and cost per time bucket. */
  async stats(query: StatsQuery = {}): Promise<StatsAnswer> {
    const q = { app: query.app, function: query.function, since: query.since, until: query.until, step: query.step };
    return this.#json({ method: 'GET', path: '/v1/stats', query: q });
  }

  /** Invocations, GB-seconds and cost per function since a time (default 24h). */
  async usage(query: UsageQuery = {}): Promise<UsageAnswer> {
    return this.#json({ method: 'GET', path: '/v1/usage', query: { app: query.app, function: query.function, since: query.since } });
  }

  /** The server's OpenAPI 3.1 document. */
  async openApi(): Promise<Record<string, unknown>> {
    return this.#json({ method: 'GET', path: '/v1/openapi.json' });
  }

  /** The node's Prometheus metrics, as text (a `read` key). */
  async metrics(): Promise<string> {
    const res = await this.#send({ method: 'GET', path: '/metrics' });
    const text = await res.text();
    if (!res.ok) throw errorFromAnswer(res.status, text);
    return text;
  }

  /** Needs no key: tells whether the server is up. */
  /** The nodes of the cluster and the queue depth (`nimbus cluster status`); one node `local` on SQLite. */
  async cluster(): Promise<ClusterStatus> {
    return this.#json({ method: 'GET', path: '/v1/cluster' });
  }

  async health(): Promise<{ ok: boolean }> {
    return this.#json({ method: 'GET', path: '/healthz' });
  }

  async #json<T>(call: Call): Promise<T> {
    const res = await this.#send(call);
    const text = await res.text();
    if (!res.ok) throw errorFromAnswer(res.status, text);
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new NimbusError('INTERNAL', `Nimbus answered ${call.method} ${call.path} with a body that is not JSON`, {
        cause: err,
      });
    }
  }

  async #send(call: Call): Promise<Response> {
    const url = new URL(this.url + call.path);
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#key !== undefined) headers['authorization'] = `Bearer ${this.#key}`;
    Object.assign(headers, call.headers);
    const init: RequestInit = { method: call.method, headers };
    if (call.raw !== undefined) {
      headers['content-type'] = call.raw.contentType;
      init.body = call.raw.bytes;
    } else if (call.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(call.body);
    }
    try {
      return await this.#fetch(url, init);
    } catch (err) {
      throw new NimbusError('SERVER_UNREACHABLE', `cannot reach Nimbus at ${this.url}: ${networkReason(err)}. Is \`nimbus up\` running? ` + 'Set NIMBUS_URL to its control-API address.', {
        cause: err,
      });
    }
  }
}

/** The whole key is one encoded segment ('/' → %2F): the server decodes it back. */
function objectPath(bucket: string, key: string): string {
  return `/v1/buckets/${seg(bucket)}/objects/${seg(key)}`;
}

function objectInfo(bucket: string, key: string, h: Headers): ObjectInfo {
  return {
    bucket,
    key,
    size: Number(h.get('content-length') ?? 0),
    etag: h.get('etag') ?? '',
    contentType: h.get('content-type') ?? 'application/octet-stream',
    uploadedAt: Number(h.get('x-nimbus-uploaded-at') ?? Date.parse(h.get('last-modified') ?? '')),
  };
}

function fnPath(app: string, fn: string): string {
  return `/v1/apps/${seg(app)}/functions/${seg(fn)}`;
}

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. */
function networkReason(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code !== undefined && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return err instanceof Error ? err.message : String(err);
}

interface ErrorBody {
  code?: unknown;
  message?: unknown;
  details?: unknown;
  invocationId?: unknown;
}

function parseErrorBody(text: string): ErrorBody | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (isRecord(parsed) && isRecord(parsed['error'])) return parsed['error'];
  } catch {
    // Not JSON: the caller reports the raw answer.
  }
  return undefined;
}

/** Rebuild the server's NimbusError; anything that is not the documented error shape is INTERNAL. */
export function errorFromAnswer(status: number, text: string): NimbusError {
  const e = parseErrorBody(text);
  if (e !== undefined && isErrorCode(e.code) && typeof e.message === 'string') {
    const details = isRecord(e.details) ? { ...e.details } : undefined;
    const withId = typeof e.invocationId === 'string' ? { ...(details ?? {}), invocationId: e.invocationId } : details;
    return new NimbusError(e.code, e.message, withId === undefined ? {} : { details: withId });
  }
  const excerpt = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return new NimbusError('INTERNAL', `unexpected answer from Nimbus (HTTP ${status}): ${excerpt}`, {
    details: { status },
  });
}

/** A function's own non-2xx response is not a platform error: only `{error: {code, message}}` is. */
function parseInvokeError(text: string): InvokeError | null {
  const e = parseErrorBody(text);
  if (e === undefined || typeof e.code !== 'string' || typeof e.message !== 'string') return null;
  const details: Record<string, unknown> = isRecord(e.details) ? { ...e.details } : {};
  if (typeof e.invocationId === 'string') details['invocationId'] = e.invocationId;
  return Object.keys(details).length > 0 ? { code: e.code, message: e.message, details } : { code: e.code, message: e.message };
}

function stringField(obj: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = obj?.[key];
  return typeof v === 'string' ? v : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Message attributes travel as one JSON header (the body is the message itself). */
function attributeHeader(attributes: Record<string, string> | undefined): Record<string, string> {
  return attributes === undefined || Object.keys(attributes).length === 0 ? {} : { 'x-nimbus-attributes': JSON.stringify(attributes) };
}

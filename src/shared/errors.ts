/**
 * The one error type of Nimbus. Every boundary (gateway, control API, CLI, sandbox bridge)
 * turns unknown throws into a NimbusError with a stable `code`; the HTTP status comes from
 * the exhaustive table below, never from the throw site.
 */

/** Every error code, listed once. The value is the HTTP status it renders as. */
export const ERROR_STATUS = {
  // --- gateway: what a caller of a function sees
  /** No route matches the request's method and path. */
  ROUTE_NOT_FOUND: 404,
  /** The function threw (or rejected) while handling the invocation. */
  FUNCTION_ERROR: 502,
  /** The function's module failed while loading (top-level throw, missing handler export). */
  FUNCTION_INIT_ERROR: 502,
  /** The invocation ran past the function's `timeout`; the instance was killed. */
  FUNCTION_TIMEOUT: 504,
  /** The instance went over its `memory`; it was killed. */
  FUNCTION_OOM: 502,
  /** The instance process died (exit, signal) while handling the invocation. */
  FUNCTION_CRASHED: 502,
  /** A concurrency limit (the function's or the node's) is reached. Retry later. */
  THROTTLED: 429,
  /** Request body over the 6 MB limit. */
  PAYLOAD_TOO_LARGE: 413,
  /** The function's response is over the 6 MB limit. */
  RESPONSE_TOO_LARGE: 502,
  /** The function returned something that is not a valid response. */
  INVALID_RESPONSE: 502,
  /** The server is shutting down and accepts no new work. */
  SHUTTING_DOWN: 503,
  /** The client closed the connection while its request waited for an instance; it never ran (nginx's 499). */
  CLIENT_CLOSED: 499,
  /** The gateway is at a limit (connections, request bytes in flight): the request was refused before it was read. Retry later. */
  OVERLOADED: 503,
  /** The request (its body) did not arrive in time. */
  REQUEST_TIMEOUT: 408,
  /** A sandbox process could not be started (out of file descriptors, processes or memory). Retry later. */
  SPAWN_FAILED: 503,

  // --- control API and CLI
  /** Missing or wrong `Authorization: Bearer <key>`. */
  UNAUTHORIZED: 401,
  /** The key is valid but lacks the scope (or the app) the call needs; the message names the scope. */
  FORBIDDEN: 403,
  /** The request body or parameters do not match the API's schema. */
  BAD_REQUEST: 400,
  /** `nimbus.yaml` (or the manifest in a deploy request) is invalid. */
  MANIFEST_INVALID: 400,
  /** A serverless.yml or SAM template uses what cannot work on Nimbus (a non-Node runtime, a missing handler file, inline code); details list each with its key path. */
  TEMPLATE_UNSUPPORTED: 400,
  /** esbuild could not bundle a function's handler. */
  BUNDLE_FAILED: 400,
  /** An HTTP route is already served by a function of another app. */
  ROUTE_CONFLICT: 409,
  /** No such app. */
  APP_NOT_FOUND: 404,
  /** No such function. */
  FUNCTION_NOT_FOUND: 404,
  /** No such version of a function. */
  VERSION_NOT_FOUND: 404,
  /** No such invocation record (or it was pruned). */
  INVOCATION_NOT_FOUND: 404,
  /** No such API endpoint. */
  NOT_FOUND: 404,
  /** The endpoint exists but not with this method. */
  METHOD_NOT_ALLOWED: 405,
  // --- events, storage and bindings (issue 4)
  /** A webhook request's signature header is missing or does not match its secret. */
  WEBHOOK_SIGNATURE_INVALID: 401,
  /** A webhook's signed timestamp header is missing, malformed, or further from now than the trigger's `tolerance` (a replayed request). */
  WEBHOOK_TIMESTAMP_INVALID: 401,
  /** An event caused by a chain of 16 invocations (a function triggering itself, directly or round about) was not delivered (Lambda's loop detection); 508 Loop Detected. */
  RECURSIVE_INVOCATION: 508,
  /** A topic, bucket or KV namespace named by this app is owned by another app. */
  RESOURCE_CONFLICT: 409,
  /** `run-schedule` of a function that has no schedule trigger (or none with the expression asked for). */
  SCHEDULE_NOT_FOUND: 404,
  /** No such dead-lettered or queued event. */
  EVENT_NOT_FOUND: 404,
  /** No such topic (no app declares it). */
  TOPIC_NOT_FOUND: 404,
  /** No such bucket (no app declares it). */
  BUCKET_NOT_FOUND: 404,
  /** No such object in the bucket. */
  OBJECT_NOT_FOUND: 404,
  /** An object or KV value over its size limit. */
  VALUE_TOO_LARGE: 413,
  /** A function called a binding its manifest does not grant (or not with that access). */
  BINDING_NOT_GRANTED: 403,
  /** A binding call failed on the host (bad arguments, storage error). */
  BINDING_ERROR: 400,
  /**
   * The app's KV or bucket storage quota is full (`--kv-quota`, `--bucket-quota`). 507 Insufficient
   * Storage, not 413: the same write succeeds once the app deletes data, so it is about the
   * app's stored state, not this request's size.
   */
  QUOTA_EXCEEDED: 507,

  // --- access and tenancy (issue 9)
  /** A route's client went over its `rateLimit` (not capacity: that is THROTTLED). */
  RATE_LIMITED: 429,
  /**
   * A route's authorizer function failed (threw, timed out, crashed or answered without a boolean
   * `isAuthorized`): 500, as API Gateway answers, not 401: the caller's credentials were not judged.
   */
  AUTHORIZER_FAILED: 500,
  /** A manifest or call names a secret the app does not have (`nimbus secret set` it first). */
  SECRET_NOT_FOUND: 400,
  /** No API key with that id or name. */
  KEY_NOT_FOUND: 404,
  /** No alias of that name on the function (`nimbus alias set` it); also a route whose `alias:` does not exist yet. */
  ALIAS_NOT_FOUND: 404,
  /** A deploy of an app whose canary deploy is still running: wait for it (`nimbus deploy --status`) or abort it. */
  CANARY_IN_PROGRESS: 409,
  /** The app has had no canary deploy (`nimbus deploy --status`), or none is running to abort. */
  CANARY_NOT_FOUND: 404,
  /** `nimbus secret rm` of a secret that an active function's env names: deploy without it first. */
  SECRET_IN_USE: 409,
  /** A stored secret does not decrypt under the master key (altered or moved row); the message never holds the value. */
  SECRET_UNREADABLE: 500,
  /** The master key (NIMBUS_MASTER_KEY or <data-dir>/master.key) is malformed, missing, or not the key the stored secrets were encrypted with: the node refuses to start. */
  MASTER_KEY_INVALID: 500,

  /**
   * `nimbus up --node-id X` while a live node (heartbeat in the last 10 s) of the cluster already
   * uses X: give this node another id, or stop the other one (or wait 10 s after it died).
   */
  NODE_ID_IN_USE: 409,
  /** `nimbus up --db`: the PostgreSQL server cannot be reached, or refuses the connection (wrong database, role, password). */
  DATABASE_UNAVAILABLE: 503,

  /** `nimbus/testing`'s `platform.idle()` waited its timeout and events were still pending or being delivered. */
  IDLE_TIMEOUT: 504,
  /** The CLI could not reach the server. */
  SERVER_UNREACHABLE: 503,
  /** `--isolation strict` and a layer of sandbox isolation (namespaces, cgroups, uid switch) cannot be applied on this host. */
  ISOLATION_UNAVAILABLE: 500,
  /** A bug or an unexpected condition inside Nimbus. */
  INTERNAL: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface NimbusErrorOptions {
  cause?: unknown;
  /** Extra machine-readable facts (e.g. `{ retryAfter: 1 }`, a manifest issue list). */
  details?: Record<string, unknown>;
}

/** An error a user can act on: a stable code, a message saying what to do, an HTTP status. */
export class NimbusError extends Error {
  override readonly name = 'NimbusError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: NimbusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** The JSON body every HTTP boundary answers with. */
  toJSON(invocationId?: string): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { code: this.code, message: this.message };
    if (invocationId !== undefined) error['invocationId'] = invocationId;
    if (this.details !== undefined) error['details'] = this.details;
    return { error };
  }
}

/** Normalise any thrown value at a boundary: NimbusErrors pass through, the rest become INTERNAL. */
export function toNimbusError(err: unknown): NimbusError {
  if (err instanceof NimbusError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new NimbusError('INTERNAL', `internal error: ${message}`, { cause: err });
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}

/**
 * Messages between the host and a sandboxed instance process. They travel as NDJSON over
 * file descriptor 3 (a socket pair), one JSON object a line. This file is imported by the
 * sandbox shim (so it must stay dependency-free) and, for its types only, by the host,
 * which validates everything it receives with zod (`src/runtime/messages.ts`): the sandbox
 * is not trusted.
 */

/** The HTTP request as the gateway hands it to an instance. */
export interface WireRequest {
  method: string;
  /** Raw path, percent-encoded as received, without the query. */
  path: string;
  /** Raw query string without '?'. */
  query: string;
  /** Lower-case names; repeated headers joined with ', ' (cookies with '; '). */
  headers: Record<string, string>;
  /** Body as UTF-8 text, or base64 when `b64` (binary), or null when empty. */
  body: string | null;
  b64: boolean;
  params: Record<string, string>;
  /** The matched route, e.g. `GET /hello/{name}`. */
  route: string;
  ip: string;
  /**
   * `http://host[:port]` the function's URL starts with: the gateway's origin, its Host checked to be
   * a host[:port] (absent from older hosts: the Host header is used).
   */
  origin?: string;
  /** What the route's `auth` established (absent: the route has none). */
  auth?: WireAuth;
  /**
   * Set by routes with `payload: '1.0'` only (Lambda handlers get the REST API event): the route's
   * path template (`/hello/{name}`, the event's `resource`) and the headers as the client sent
   * them (Node's rawHeaders: name, value, name, value…, original case, repeats kept).
   */
  payload?: '1.0';
  resource?: string;
  rawHeaders?: string[];
}

/**
 * A caller the gateway authenticated: a verified JWT's claims and scopes, a matching API key, or an
 * authorizer function's `context`.
 */
export type WireAuth = { type: 'jwt'; claims: Record<string, unknown>; scopes: string[] } | { type: 'apiKey' } | { type: 'function'; context: Record<string, unknown> };

/** An HTTP response coming out of an instance. */
export interface WireResponse {
  status: number;
  /** Header pairs; a name may repeat (set-cookie). */
  headers: [string, string][];
  body: string;
  b64: boolean;
}

export interface FunctionMeta {
  app: string;
  name: string;
  version: number;
  memory: number;
  /** Named export to call Lambda style; null = detect (default `{fetch}`, then `handler`). */
  handlerExport: string | null;
  /**
   * Invocations run at once (the function's instanceConcurrency). The host may send a few more:
   * they wait here, in order, until one finishes (absent: no limit here, the host's count rules).
   */
  concurrency?: number;
  /** The context's logGroupName/logStreamName: the instance's AWS_LAMBDA_LOG_* variables (the shim fills them in). */
  logGroup?: string;
  logStream?: string;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Where in the user's sources it was thrown (`src/util.ts:2:9`), from the bundle's source map. */
  at?: string;
}

/**
 * A platform service granted to the function (`bindings:` in nimbus.yaml), by the env name it sees.
 * The same shape as the domain's `Binding`; repeated here because the sandbox imports nothing of the host.
 */
export type SandboxBinding = { type: 'kv'; kv: string } | { type: 'bucket'; bucket: string; access: 'read' | 'write' | 'readwrite' } | { type: 'topic'; topic: string };

/** How a binding call failed on the host (a code of the host's error table, e.g. BINDING_NOT_GRANTED). */
export interface BindingFailure {
  code: string;
  message: string;
}

/** How an invocation failed inside the sandbox (the host maps these to its error codes). */
export type SandboxErrorCode = 'FUNCTION_ERROR' | 'INVALID_RESPONSE' | 'RESPONSE_TOO_LARGE';

/** An allow-listed host service (`egress: ["127.0.0.1:5432"]`) as the sandbox reaches it. */
export interface SandboxForward {
  host: string;
  port: number;
  /** Unix socket path inside the sandbox (under /run/nimbus). */
  socket: string;
}

// ---- host → sandbox
export type HostMessage =
  /**
   * `bindings`: built into `env.<NAME>` objects once, at load. `runtimeEnv`: the variables Lambda
   * sets (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME…), for `process.env` only: `env` (the manifest's,
   * which wins) is also what web handlers get as their `env` argument.
   */
  | { t: 'load'; code: string; env: Record<string, string>; runtimeEnv?: Record<string, string>; fn: FunctionMeta; bindings: Record<string, SandboxBinding> }
  /** `timeoutMs`: the sandbox computes its deadline when the invocation starts running. */
  | { t: 'http'; id: string; timeoutMs: number; req: WireRequest; traceparent?: string }
  /**
   * `shape` says how the handler receives `event`: 'invoke' as sent (Lambda: the event; web: a POST
   * request with it as JSON body), 'scheduled' (web: `scheduled(event, env, ctx)`), 'queue' (a
   * batch of messages; web: `queue(batch, env, ctx)`; Lambda: an SQS/S3-like `{ Records }` event).
   * Absent = 'invoke'.
   */
  | { t: 'event'; id: string; timeoutMs: number; event: unknown; shape?: 'invoke' | 'scheduled' | 'queue' | 'email'; traceparent?: string }
  /** The answer to a `call`. Binary values travel base64 (see the binding ops in sandbox/bindings.ts). */
  /**
   * Before `load`, in a sandbox with its own network namespace: listen on each host:port of the
   * sandbox's loopback and pipe every connection to `socket` (the node's forwarder to that host service).
   */
  | { t: 'forward'; forwards: SandboxForward[] }
  | { t: 'reply'; cid: number; ok: true; value: unknown }
  | { t: 'reply'; cid: number; ok: false; error: BindingFailure }
  /**
   * Flow control of a streamed response (`head` … `chunk`s … `end`): the sandbox may send
   * STREAM_WINDOW chunks ahead, then one more per credit. The host grants a credit once a chunk has
   * left for the client, so a fast producer waits for a slow reader instead of filling host memory.
   */
  | { t: 'credit'; id: string; n: number }
  /** Stop streaming `id` (the client went away, or the stream passed its limit): end it as soon as possible. */
  | { t: 'cancel'; id: string };

// ---- sandbox → host
export type SandboxMessage =
  /** Start-up (and its throwaway warm-up work) is done; `rss` is the idle baseline in bytes. */
  | { t: 'ready'; rss: number }
  | { t: 'loaded'; initMs: number; style: 'web' | 'lambda' }
  | { t: 'loadError'; error: SerializedError }
  /** A line the function wrote; s: 1 stdout, 2 stderr. id null = outside any invocation. */
  | { t: 'log'; id: string | null; s: 1 | 2; line: string }
  /**
   * Invocation finished. `res` for HTTP (and web-style functions invoked with an event), `value` for
   * Lambda-style events and web `scheduled`/`queue`. `pending`: waitUntil work still running.
   * `retry`: for a `queue` delivery, the ids of the messages to deliver again (the rest are done).
   * `ms`: how long it ran inside the sandbox, `cpu`: the process CPU time used meanwhile (both ms;
   * the host's scheduler scales out functions that wait, not ones that compute).
   */
  | { t: 'done'; id: string; res?: WireResponse; value?: unknown; rss: number; pending?: boolean; retry?: string[]; ms?: number; cpu?: number }
  | { t: 'error'; id: string; code: SandboxErrorCode; error: SerializedError; rss: number; ms?: number; cpu?: number }
  /** All waitUntil work of an invocation has settled. */
  | { t: 'settled'; id: string }
  /**
   * A binding call (`env.SESSIONS.get('k')`): `binding` is the env name, `inv` the invocation it
   * belongs to (null at module init). The host checks the grant and answers with a `reply`.
   */
  | { t: 'call'; cid: number; inv: string | null; binding: string; op: string; args: unknown[] }
  /**
   * A slice (base64) of a large binary argument of the call `cid` that follows: an object can be
   * bigger than one message may be (MAX_FRAME_BYTES).
   */
  | { t: 'part'; cid: number; data: string }
  /**
   * A streamed HTTP response starts (a web Response with a ReadableStream body, or a Lambda
   * `streamifyResponse` handler): status and headers now, the body follows as `chunk`s (each at
   * most STREAM_CHUNK_BYTES, base64 when `b64`), and `end` (or `error`) closes the invocation in
   * place of `done`.
   */
  | { t: 'head'; id: string; status: number; headers: [string, string][] }
  | { t: 'chunk'; id: string; data: string; b64: boolean }
  | { t: 'end'; id: string; rss: number; pending?: boolean; ms?: number; cpu?: number };

/** Largest line either side accepts: a 6 MB body in base64 plus headers, with room to spare. */
export const MAX_FRAME_BYTES = 10 * 1024 * 1024;
/**
 * Limits of binding calls. The host enforces them (`runtime/bindings.ts`, with the ports' own
 * constants, which a test keeps equal to these); the sandbox checks them first so an oversized
 * call fails with the same error code instead of breaking the channel.
 */
export const BINDING_LIMITS = {
  kvKeyBytes: 512,
  kvValueBytes: 1024 * 1024,
  objectKeyBytes: 1024,
  objectBytes: 64 * 1024 * 1024,
  topicMessageBytes: 256 * 1024,
  topicBatchMessages: 100,
  topicBatchBytes: 1024 * 1024,
  /** Message attributes per publish (as SNS), and the longest value. */
  topicAttributes: 10,
  topicAttributeValueBytes: 1024,
} as const;
/** Largest base64 slice of a `part` message: well under MAX_FRAME_BYTES. */
export const MAX_PART_CHARS = 4 * 1024 * 1024;
/** Largest body piece of one `chunk` message (before base64). */
export const STREAM_CHUNK_BYTES = 64 * 1024;
/** Chunks a stream may send before its first credit: at most this many × STREAM_CHUNK_BYTES wait on the host per stream. */
export const STREAM_WINDOW = 8;
/** Bytes one streamed response may carry (the 6 MB body limit does not apply to streams); the host cuts the stream past it. */
export const MAX_STREAM_BYTES = 20 * 1024 * 1024;
/** Body limit both ways, as on AWS Lambda. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

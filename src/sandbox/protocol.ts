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
}

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
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/** How an invocation failed inside the sandbox (the host maps these to its error codes). */
export type SandboxErrorCode = 'FUNCTION_ERROR' | 'INVALID_RESPONSE' | 'RESPONSE_TOO_LARGE';

// ---- host → sandbox
export type HostMessage =
  | { t: 'load'; code: string; env: Record<string, string>; fn: FunctionMeta }
  /** `timeoutMs`: the sandbox computes its deadline when the invocation starts running. */
  | { t: 'http'; id: string; timeoutMs: number; req: WireRequest }
  /**
   * `shape` says how the handler receives `event`: 'invoke' as sent (Lambda: the event; web: a POST
   * request with it as JSON body), 'scheduled' (web: `scheduled(event, env, ctx)`), 'queue' (a
   * batch of messages; web: `queue(batch, env, ctx)`; Lambda: an SQS/S3-like `{ Records }` event).
   * Absent = 'invoke'.
   */
  | { t: 'event'; id: string; timeoutMs: number; event: unknown; shape?: 'invoke' | 'scheduled' | 'queue' };

// ---- sandbox → host
export type SandboxMessage =
  /** Start-up (and its throwaway warm-up work) is done; `rss` is the idle baseline in bytes. */
  | { t: 'ready'; rss: number }
  | { t: 'loaded'; initMs: number; style: 'web' | 'lambda' }
  | { t: 'loadError'; error: SerializedError }
  /** A line the function wrote; s: 1 stdout, 2 stderr. id null = outside any invocation. */
  | { t: 'log'; id: string | null; s: 1 | 2; line: string }
  /** Invocation finished. `res` for HTTP (and web-style functions invoked with an event), `value` for Lambda-style events. `pending`: waitUntil work still running. */
  | { t: 'done'; id: string; res?: WireResponse; value?: unknown; rss: number; pending?: boolean }
  | { t: 'error'; id: string; code: SandboxErrorCode; error: SerializedError; rss: number }
  /** All waitUntil work of an invocation has settled. */
  | { t: 'settled'; id: string };

/** Largest line either side accepts: a 6 MB body in base64 plus headers, with room to spare. */
export const MAX_FRAME_BYTES = 10 * 1024 * 1024;
/** Body limit both ways, as on AWS Lambda. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

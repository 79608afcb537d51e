/** The invocation record the runtime leaves for every invocation, whatever its outcome. */
import type { FunctionVersion, InvocationRecord, InvocationStatus, TriggerKind } from '../domain/index.js';
import { ERROR_STATUS, type ErrorCode } from '../shared/errors.js';
import type { InvokeResult } from './instance.js';
import type { WireResponse } from '../sandbox/protocol.js';

const MB = 1024 * 1024;

export interface RecordInput {
  id: string;
  fn: FunctionVersion;
  trigger: TriggerKind;
  startedAt: number;
  durationMs: number;
  result: InvokeResult;
  peakRss: number;
  cold: boolean;
  initMs: number | null;
  /** The client went away before it was answered. */
  clientClosed: boolean;
  traceId: string | null;
}

export function buildRecord(r: RecordInput): InvocationRecord {
  const { result, fn } = r;
  const rss = Math.max(r.peakRss, result.rss ?? 0);
  const responseBytes = result.stream ? result.stream.bytes : result.ok && result.res ? bodyBytes(result.res) : undefined;
  return {
    id: r.id,
    app: fn.app,
    function: fn.name,
    version: fn.version,
    trigger: r.trigger,
    startedAt: r.startedAt,
    durationMs: Math.round(r.durationMs * 1000) / 1000,
    billedMs: Math.max(1, Math.ceil(r.durationMs)),
    memoryMb: fn.config.memory,
    maxMemoryMb: rss > 0 ? Math.ceil(rss / MB) : null,
    coldStart: r.cold,
    initMs: r.cold && r.initMs != null ? Math.round(r.initMs * 1000) / 1000 : null,
    status: result.ok ? 'ok' : statusOf(result.code),
    errorCode: result.ok ? null : result.code,
    errorMessage: result.ok ? null : result.message,
    // 499 (nginx's "client closed request"): nothing was sent, whatever the function answered.
    // A stream's head went out: its status is what the client got, even if the stream failed later.
    httpStatus: r.clientClosed || (!result.ok && result.code === 'CLIENT_CLOSED') ? 499 : result.stream ? result.stream.status : result.ok ? (result.res?.status ?? 200) : ERROR_STATUS[result.code],
    traceId: r.traceId,
    ...(responseBytes === undefined ? {} : { responseBytes }),
  };
}

/** Bytes of a buffered body (base64 decodes to three bytes per four characters, less its padding). */
function bodyBytes(res: WireResponse): number {
  if (!res.b64) return Buffer.byteLength(res.body);
  const pad = res.body.endsWith('==') ? 2 : res.body.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((res.body.length * 3) / 4) - pad);
}

export function statusOf(code: ErrorCode): InvocationStatus {
  switch (code) {
    case 'FUNCTION_TIMEOUT':
      return 'timeout';
    case 'FUNCTION_OOM':
      return 'oom';
    case 'FUNCTION_CRASHED':
      return 'crashed';
    case 'THROTTLED':
      return 'throttled';
    case 'CLIENT_CLOSED':
      return 'cancelled';
    default:
      return 'error';
  }
}

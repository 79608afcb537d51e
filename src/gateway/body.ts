/**
 * Reading a request body under the node's byte budget: admitted before it is buffered.
 *
 *   declared length over the size limit → 413 PAYLOAD_TOO_LARGE, nothing read
 *   declared length over what the budget has left → 503 OVERLOADED, nothing read
 *   chunked body: each chunk reserves its bytes as it arrives; the first one the budget refuses → 503
 *   whole body not received within `timeoutMs` → 408 REQUEST_TIMEOUT
 * The reservation is given back when the exchange ends (response finished or connection gone), so a
 * client that dies mid-body frees its share at once. A refused request's connection is closed after
 * the answer: its unread body must not be drained at the client's pace.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NimbusError } from '../shared/errors.js';
import type { ByteBudget } from './limits.js';

const EMPTY = Buffer.alloc(0);

export interface BodyLimits {
  /** Largest body accepted, bytes. */
  maxBytes: number;
  budget: ByteBudget;
  /** Time to receive the whole body, ms. */
  timeoutMs: number;
}

export function readAdmittedBody(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Promise<Buffer> {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return Promise.resolve(EMPTY);
  }
  const { maxBytes, budget } = limits;
  let held = 0;
  res.once('close', () => budget.release(held));
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return Promise.reject(refuse(res, tooLarge(maxBytes)));
  if (!budget.reserve(declared)) return Promise.reject(refuse(res, overloaded(budget)));
  held = declared;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: NimbusError) => {
      clearTimeout(timer);
      req.removeAllListeners('data');
      reject(refuse(res, err));
    };
    const timer = setTimeout(() => fail(new NimbusError('REQUEST_TIMEOUT', `the request body did not arrive within ${limits.timeoutMs / 1000} s`)), limits.timeoutMs);
    timer.unref();
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return fail(tooLarge(maxBytes));
      if (size > held) {
        if (!budget.reserve(size - held)) return fail(overloaded(budget));
        held = size;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('close', () => clearTimeout(timer));
  });
}

/** The answer closes the connection: the rest of the body is never read. */
function refuse(res: ServerResponse, err: NimbusError): NimbusError {
  res.shouldKeepAlive = false;
  res.setHeader('connection', 'close');
  res.once('finish', () => res.socket?.destroySoon());
  return err;
}

function tooLarge(limit: number): NimbusError {
  return new NimbusError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit / 1024 / 1024} MB`);
}

function overloaded(budget: ByteBudget): NimbusError {
  return new NimbusError('OVERLOADED', `the gateway holds ${Math.round(budget.limit / 1024 / 1024)} MB of request bodies at most and is full; retry later`, { details: { retryAfter: 1 } });
}

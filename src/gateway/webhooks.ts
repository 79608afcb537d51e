/**
 * Signed webhooks: `POST <path>` of a webhook trigger is checked and queued, never run inline.
 *
 *   match path (exact, POST only, before HTTP routes) → signature header present? (else 401)
 *   → read the raw body (≤ 6 MB, else 413) → HMAC-SHA256 of those bytes with the secret from the
 *   function's env var, compared in constant time with the header's `sha256=<hex>` (else 401
 *   WEBHOOK_SIGNATURE_INVALID, nothing queued) → with `timestampHeader`: the signed time within
 *   `tolerance` of now (else 401 WEBHOOK_TIMESTAMP_INVALID) → enqueue one `queue` event (durable),
 *   its idempotency key the delivery id header → 202 `{"invocationId","duplicate"}` with
 *   X-Nimbus-Invocation-Id. A repeated delivery id gets the first delivery's answer, queued once.
 * The signature is checked over the bytes as received, before any parsing: re-serialised JSON
 * would not match what the sender signed.
 *
 * Replays. GitHub's scheme signs the body only, so the delivery id header (unsigned) stops a
 * request sent again as it was, but not one whose id was changed. A signed timestamp closes that:
 * with `timestampHeader` the signature covers `<timestamp>.<body>` (Stripe's construction; an
 * unsigned time could be rewritten as easily as the id), so a captured request is good for
 * `tolerance` seconds at most, and within those its id is already taken unless the id was changed.
 * Why 401 for a stale time: like a bad signature it is a credential that does not authenticate
 * the request (an expired one), not a malformed request the sender could fix by resending it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WEBHOOK_DEFAULTS, type FunctionVersion, type WebhookTrigger } from '../domain/index.js';
import type { EventQueue } from '../queue/port.js';
import { MAX_BODY_BYTES } from '../sandbox/protocol.js';
import { NimbusError, toNimbusError } from '../shared/errors.js';
import { readBody, sendError, sendJson } from '../shared/http.js';
import { fullPath, namespaceOf } from '../manifest/index.js';
import { eventFor } from '../triggers/events.js';

export interface WebhookTarget {
  fn: FunctionVersion;
  trigger: WebhookTrigger;
}

/**
 * Webhook paths of the active versions, per namespace: base path + path on the app's host ('' for
 * the default namespace). One path belongs to one function (enforced at deploy).
 */
export class WebhookTable {
  private readonly byPath = new Map<string, WebhookTarget>();

  constructor(functions: Iterable<FunctionVersion>) {
    for (const fn of functions) {
      const { host } = namespaceOf(fn.config.routes);
      for (const trigger of fn.config.triggers) {
        if (trigger.type !== 'webhook') continue;
        const k = `${host} ${fullPath(fn.config.routes?.basePath, trigger.path)}`;
        if (!this.byPath.has(k)) this.byPath.set(k, { fn, trigger });
      }
    }
  }

  /** The webhook on `path` in namespace `host` (a claimed host from `HostIndex.resolve`, '' for the default one). */
  get(path: string, host = ''): WebhookTarget | undefined {
    return this.byPath.get(`${host} ${path}`);
  }

  get size(): number {
    return this.byPath.size;
  }
}

/** Whether `header` is `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`, compared in constant time. */
export function signatureValid(body: Buffer, secret: string | undefined, header: string | undefined): boolean {
  if (!secret || header === undefined) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(match[1]!, 'hex'), expected);
}

/** What is signed: the raw body, or `<timestamp>.<body>` when the trigger checks a timestamp. */
export function signedBytes(body: Buffer, timestamp?: string): Buffer {
  return timestamp === undefined ? body : Buffer.concat([Buffer.from(`${timestamp}.`), body]);
}

/** Why a timestamp header value (Unix seconds) is not acceptable at `nowMs`, or null when it is. */
export function timestampProblem(value: string | undefined, toleranceSeconds: number, nowMs: number): string | null {
  if (value === undefined) return 'is missing';
  if (!/^\d{1,12}$/.test(value)) return `is not a time in Unix seconds (got "${value.slice(0, 40)}")`;
  const skew = Math.round(nowMs / 1000) - Number(value);
  if (Math.abs(skew) <= toleranceSeconds) return null;
  return skew > 0 ? `is ${skew} s old, more than the ${toleranceSeconds} s allowed: a replayed request?` : `is ${-skew} s in the future, more than the ${toleranceSeconds} s allowed`;
}

/** The queue's idempotency key for a delivery id; long ids are hashed (the header is the sender's to fill). */
export function deliveryKey(id: string): string {
  return `webhook-delivery/${id.length <= 200 ? id : createHash('sha256').update(id).digest('hex')}`;
}

export interface WebhookDeps {
  queue: Pick<EventQueue, 'enqueue'>;
  headers: (req: IncomingMessage) => Record<string, string>;
  log?: ((line: string) => void) | undefined;
  /** Epoch ms, for timestamp checks. Default Date.now. */
  now?: () => number;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const raw = req.headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value?.trim();
}

export async function handleWebhook(req: IncomingMessage, res: ServerResponse, path: string, target: WebhookTarget, deps: WebhookDeps): Promise<void> {
  const { fn, trigger } = target;
  const invalid = () =>
    new NimbusError('WEBHOOK_SIGNATURE_INVALID', `the request to ${path} is not signed with this webhook's secret: send the HMAC-SHA256 of the raw body as "${trigger.header}: sha256=<hex>"`);
  const header = headerValue(req, trigger.header);
  if (header === undefined) {
    req.resume();
    return sendError(res, invalid());
  }
  try {
    const body = await readBody(req, MAX_BODY_BYTES);
    const secret = fn.config.env[trigger.secret];
    if (!secret) deps.log?.(`webhook ${path} of ${fn.app}/${fn.name}: env var ${trigger.secret} holding its secret is not set; every request is refused`);
    const now = (deps.now ?? Date.now)();
    const stampHeader = trigger.timestampHeader;
    const stamp = stampHeader === undefined ? undefined : headerValue(req, stampHeader);
    if (stampHeader !== undefined) {
      const problem = timestampProblem(stamp, Infinity, now);
      if (problem !== null) return sendError(res, stale(path, stampHeader, problem));
    }
    if (!signatureValid(signedBytes(body, stamp), secret, header)) return sendError(res, invalid());
    if (stampHeader !== undefined) {
      const problem = timestampProblem(stamp, trigger.tolerance ?? WEBHOOK_DEFAULTS.tolerance, now);
      if (problem !== null) return sendError(res, stale(path, stampHeader, problem));
    }
    const text = isUtf8(body);
    const payload: Record<string, unknown> = { path, headers: deps.headers(req), body: text ? body.toString('utf8') : null };
    if (!text) payload['bodyBase64'] = body.toString('base64');
    const delivery = headerValue(req, trigger.deliveryHeader ?? WEBHOOK_DEFAULTS.deliveryHeader);
    const spec = { source: 'webhook' as const, shape: 'queue' as const, origin: path, payload, ...(delivery ? { idempotencyKey: deliveryKey(delivery) } : {}) };
    const [accepted] = await deps.queue.enqueue([eventFor(fn, spec, now)]);
    const { id, duplicate } = accepted!;
    sendJson(res, 202, { invocationId: id, duplicate }, { 'x-nimbus-invocation-id': id });
  } catch (err) {
    sendError(res, toNimbusError(err));
  }
}

function stale(path: string, header: string, problem: string): NimbusError {
  return new NimbusError('WEBHOOK_TIMESTAMP_INVALID', `the ${header} header of the request to ${path} ${problem}; send the time of signing in Unix seconds, and sign "<timestamp>.<raw body>"`);
}

/**
 * Signed webhooks: `POST <path>` of a webhook trigger is checked and queued, never run inline.
 *
 *   match path (exact, POST only, before HTTP routes) → signature header present? (else 401)
 *   → read the raw body (≤ 6 MB, else 413) → HMAC-SHA256 of those bytes with the secret from the
 *   function's env var, compared in constant time with the header's `sha256=<hex>` (else 401
 *   WEBHOOK_SIGNATURE_INVALID, nothing queued) → enqueue one `queue` event (durable) → 202
 *   `{"invocationId"}` with X-Nimbus-Invocation-Id.
 * The signature is checked over the bytes as received, before any parsing: re-serialised JSON
 * would not match what the sender signed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionVersion, WebhookTrigger } from '../domain/index.js';
import type { EventQueue } from '../queue/port.js';
import { MAX_BODY_BYTES } from '../sandbox/protocol.js';
import { NimbusError, toNimbusError } from '../shared/errors.js';
import { readBody, sendError, sendJson } from '../shared/http.js';
import { eventFor } from '../triggers/events.js';

export interface WebhookTarget {
  fn: FunctionVersion;
  trigger: WebhookTrigger;
}

/** Webhook paths of the active versions; one path belongs to one function (enforced at deploy). */
export class WebhookTable {
  private readonly byPath = new Map<string, WebhookTarget>();

  constructor(functions: Iterable<FunctionVersion>) {
    for (const fn of functions) {
      for (const trigger of fn.config.triggers) {
        if (trigger.type === 'webhook' && !this.byPath.has(trigger.path)) this.byPath.set(trigger.path, { fn, trigger });
      }
    }
  }

  get(path: string): WebhookTarget | undefined {
    return this.byPath.get(path);
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

export interface WebhookDeps {
  queue: Pick<EventQueue, 'enqueue'>;
  headers: (req: IncomingMessage) => Record<string, string>;
  log?: ((line: string) => void) | undefined;
}

export async function handleWebhook(req: IncomingMessage, res: ServerResponse, path: string, target: WebhookTarget, deps: WebhookDeps): Promise<void> {
  const { fn, trigger } = target;
  const invalid = () =>
    new NimbusError('WEBHOOK_SIGNATURE_INVALID', `the request to ${path} is not signed with this webhook's secret: send the HMAC-SHA256 of the raw body as "${trigger.header}: sha256=<hex>"`);
  const raw = req.headers[trigger.header.toLowerCase()];
  const header = Array.isArray(raw) ? raw[0] : raw;
  if (header === undefined) {
    req.resume();
    return sendError(res, invalid());
  }
  try {
    const body = await readBody(req, MAX_BODY_BYTES);
    const secret = fn.config.env[trigger.secret];
    if (!secret) deps.log?.(`webhook ${path} of ${fn.app}/${fn.name}: env var ${trigger.secret} holding its secret is not set; every request is refused`);
    if (!signatureValid(body, secret, header)) return sendError(res, invalid());
    const text = isUtf8(body);
    const payload: Record<string, unknown> = { path, headers: deps.headers(req), body: text ? body.toString('utf8') : null };
    if (!text) payload['bodyBase64'] = body.toString('base64');
    const [accepted] = await deps.queue.enqueue([eventFor(fn, { source: 'webhook', shape: 'queue', origin: path, payload }, Date.now())]);
    const id = accepted!.id;
    sendJson(res, 202, { invocationId: id }, { 'x-nimbus-invocation-id': id });
  } catch (err) {
    sendError(res, toNimbusError(err));
  }
}

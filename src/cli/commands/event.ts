/**
 * `nimbus event <kind>`: a sample event of a trigger kind, to edit or pipe into
 * `nimbus invoke <fn> --data @-` (as `sam local generate-event` does). The Lambda shapes come from
 * the sandbox's own builders (src/sandbox), so the sample is exactly what a handler receives.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { httpApiEvent } from '../../sandbox/lambda.js';
import { sesEvent, type EmailPayload } from '../../sandbox/email.js';
import type { FunctionMeta } from '../../sandbox/protocol.js';
import { eventBridgeEvent, lambdaQueueEvent, messageBatch, webScheduledEvent, type QueuePayload } from '../../sandbox/shapes.js';
import { NimbusError } from '../../shared/errors.js';
import { printJson } from '../output.js';

export const EVENT_KINDS = ['http', 'schedule', 'topic', 'bucket', 'webhook', 'email'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];
const SHAPES = ['lambda', 'web'] as const;
type Shape = (typeof SHAPES)[number];

export interface EventOptions {
  shape: Shape;
  method: string;
  path: string;
  /** The message or request body (JSON text, else sent as a string). */
  body?: string;
  /** topic name, bucket name, webhook path, schedule expression, or email recipient. */
  name?: string;
  object?: string;
  from?: string;
  subject?: string;
}

function parseKind(value: string): EventKind {
  const kind = EVENT_KINDS.find((k) => k === value);
  if (kind === undefined) throw new InvalidArgumentError(`expected one of ${EVENT_KINDS.join(', ')}`);
  return kind;
}

function parseShape(value: string): Shape {
  const shape = SHAPES.find((s) => s === value);
  if (shape === undefined) throw new InvalidArgumentError(`expected one of ${SHAPES.join(', ')}`);
  return shape;
}

function jsonOrText(text: string | undefined, fallback: unknown): unknown {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const FN: FunctionMeta = { app: 'my-app', name: 'my-function', version: 1, memory: 128, handlerExport: 'handler' };

/** One queued message as the dispatcher sends it, for the queue-shaped kinds. */
function queue(name: string, source: 'topic' | 'webhook' | 'bucket', body: unknown): QueuePayload {
  return { queue: name, eventSource: source, messages: [{ id: randomUUID(), timestamp: Date.now(), body, attempts: 1 }] };
}

/** What a web-style `queue(batch)` handler sees, as plain data (the methods left out). */
function webBatch(p: QueuePayload): unknown {
  const { batch } = messageBatch(p);
  return JSON.parse(JSON.stringify(batch)) as unknown;
}

/** A sample event of `kind` in `opts.shape`. */
export function sampleEvent(kind: EventKind, opts: EventOptions): unknown {
  const web = opts.shape === 'web';
  switch (kind) {
    case 'http': {
      const [path = '/', query = ''] = opts.path.split('?', 2);
      const body = opts.body ?? (opts.method === 'GET' || opts.method === 'HEAD' ? null : '{"hello":"world"}');
      const headers: Record<string, string> = { host: '127.0.0.1:8080', 'user-agent': 'curl/8.5.0', accept: '*/*', ...(body === null ? {} : { 'content-type': 'application/json' }) };
      const req = { method: opts.method, path, query, headers, body, b64: false, params: {}, route: `${opts.method} ${path}`, ip: '127.0.0.1', origin: 'http://127.0.0.1:8080' };
      if (web) return { method: req.method, url: `${req.origin}${path}${query ? `?${query}` : ''}`, headers, body };
      return httpApiEvent(randomUUID(), req, FN);
    }
    case 'schedule': {
      const payload = { schedule: opts.name ?? '0 2 * * *', scheduledTime: Date.now(), timezone: null };
      return web ? webScheduledEvent(payload) : eventBridgeEvent(randomUUID(), payload, FN);
    }
    case 'topic':
    case 'webhook': {
      const name = opts.name ?? (kind === 'topic' ? 'orders' : '/hooks/ci');
      const p = queue(name, kind, jsonOrText(opts.body, kind === 'topic' ? { id: 7 } : { action: 'opened', number: 42 }));
      return web ? webBatch(p) : lambdaQueueEvent(p);
    }
    case 'bucket': {
      const bucket = opts.name ?? 'uploads';
      const body = { type: 'created', bucket, key: opts.object ?? 'images/cat.jpg', size: 1024, etag: '"0cc175b9c0f1b6a831c399e269772661"', contentType: 'image/jpeg' };
      const p = queue(bucket, 'bucket', body);
      return web ? webBatch(p) : lambdaQueueEvent(p);
    }
    case 'email':
      return emailEvent(opts);
  }
}

/**
 * An inbound email, built as the SMTP source queues it (`EmailPayload`) and shaped by the
 * sandbox's own builders: SES's receipt event with the parsed body in `ses.content`, or for
 * `--shape web` the `email(message)` argument as data (headers as an object, raw as base64).
 */
function emailEvent(opts: EventOptions): unknown {
  const to = opts.name ?? 'orders@shop.example';
  const from = opts.from ?? 'ada@example.com';
  const subject = opts.subject ?? 'Order 7';
  const text = typeof opts.body === 'string' ? opts.body : 'Hello,\nplease send order 7.\n';
  const html = `<p>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\n/g, '<br>')}</p>`;
  const messageId = `${randomUUID()}@example.com`;
  const date = new Date().toUTCString();
  const headers = [
    { name: 'From', value: from },
    { name: 'To', value: to },
    { name: 'Subject', value: subject },
    { name: 'Message-ID', value: `<${messageId}>` },
    { name: 'Date', value: date },
    { name: 'Content-Type', value: 'text/plain; charset=utf-8' },
  ];
  const raw = Buffer.from(`${headers.map((h) => `${h.name}: ${h.value}`).join('\r\n')}\r\n\r\n${text.replace(/\n/g, '\r\n')}`);
  const payload: EmailPayload = {
    messageId,
    timestamp: new Date().toISOString(),
    from,
    to,
    destination: [to],
    headers,
    commonHeaders: { from: [from], to: [to], subject, messageId: `<${messageId}>`, date },
    subject,
    text,
    html,
    attachments: [],
    raw: raw.toString('base64'),
    rawSize: raw.length,
  };
  if (opts.shape !== 'web') return sesEvent(payload, FN);
  const { from: f, to: t, subject: s, text: x, html: h, attachments, raw: r, rawSize } = payload;
  return { from: f, to: t, headers: Object.fromEntries(headers.map((hd) => [hd.name.toLowerCase(), hd.value])), subject: s, text: x, html: h, attachments, raw: r, rawSize };
}

export function registerEventCommand(program: Command): void {
  program
    .command('event')
    .description(`print a sample event of a trigger kind (${EVENT_KINDS.join(', ')}) to edit or pipe into \`nimbus invoke <fn> --data @-\``)
    .argument('<kind>', EVENT_KINDS.join(' | '), parseKind)
    .option('--shape <shape>', 'lambda: what a Lambda-style handler gets (default); web: what a web-style handler method gets', parseShape, 'lambda' as Shape)
    .option('--method <method>', 'http: the request method', 'POST')
    .option('--path <path>', 'http: the path and query', '/hello/world')
    .option('--body <text>', 'http: the body; topic/webhook: the message (JSON or text); email: the text')
    .option('--name <name>', 'topic name, bucket name, webhook path, schedule expression, or email recipient')
    .option('--object <key>', 'bucket: the object key')
    .option('--from <address>', 'email: the sender')
    .option('--subject <text>', 'email: the subject')
    .addHelpText('after', '\nExample:\n  nimbus event topic --body \'{"id": 7}\' | nimbus invoke worker --data @-')
    .action((kind: EventKind, opts: EventOptions) => {
      const method = opts.method.toUpperCase();
      if (!/^[A-Z]+$/.test(method)) throw new NimbusError('BAD_REQUEST', `--method must be an HTTP method such as GET or POST (got "${opts.method}")`);
      if (!opts.path.startsWith('/')) throw new NimbusError('BAD_REQUEST', `--path must start with "/" (got "${opts.path}")`);
      printJson(sampleEvent(kind, { ...opts, method }));
    });
}

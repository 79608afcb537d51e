/**
 * Event shapes: what a handler receives for a schedule tick or a batch of queued messages, and
 * which messages its answer asks to retry. Pure functions of the payload the host sends:
 *   scheduled  { schedule, scheduledTime (epoch ms), timezone }
 *   queue      { queue: <origin>, eventSource?: 'topic'|'webhook'|'bucket', format?: 'sns', messages: [{ id, timestamp, body, attempts, attributes? }] }
 * Web handlers get `scheduled(event)` / `queue(batch)` objects (Workers style); Lambda handlers an
 * EventBridge scheduled event or `{ Records }` (SQS-like for topics and webhooks, S3-like for
 * buckets, SNS-like for a topic subscription with `shape: sns`).
 */
import type { FunctionMeta } from './protocol.js';

export interface SchedulePayload {
  schedule: string;
  scheduledTime: number;
  timezone: string | null;
}

export interface QueuePayloadMessage {
  id: string;
  /** Epoch ms the message was sent (an ISO string is accepted too). */
  timestamp: number | string;
  body: unknown;
  attempts: number;
  /** Message attributes set by the publisher (topics only). */
  attributes?: Record<string, string>;
}

export type QueueSource = 'topic' | 'webhook' | 'bucket';

export interface QueuePayload {
  queue: string;
  eventSource?: QueueSource;
  /** 'sns': the subscription wants SNS records (Lambda handlers). */
  format?: 'sns';
  messages: QueuePayloadMessage[];
}

/** A message's fate as the handler decided it; undecided messages count as acked on success. */
type Decision = 'ack' | 'retry';

export function schedulePayload(event: unknown): SchedulePayload {
  const p = event as Partial<SchedulePayload> | null;
  if (!p || typeof p.schedule !== 'string' || typeof p.scheduledTime !== 'number') throw new TypeError('malformed scheduled event: expected { schedule, scheduledTime, timezone }');
  return { schedule: p.schedule, scheduledTime: p.scheduledTime, timezone: p.timezone ?? null };
}

export function queuePayload(event: unknown): QueuePayload {
  const p = event as Partial<QueuePayload> | null;
  if (!p || typeof p.queue !== 'string' || !Array.isArray(p.messages)) throw new TypeError('malformed queue event: expected { queue, messages: [...] }');
  for (const m of p.messages) {
    if (!m || typeof m.id !== 'string') throw new TypeError('malformed queue event: every message needs an id');
  }
  return p as QueuePayload;
}

/** `scheduled(event, env, ctx)`'s event (Workers' ScheduledController, without noRetry). */
export function webScheduledEvent(p: SchedulePayload): { type: 'scheduled'; cron: string; scheduledTime: number } {
  return { type: 'scheduled', cron: p.schedule, scheduledTime: p.scheduledTime };
}

/** The EventBridge "Scheduled Event" a Lambda handler gets for a schedule tick. */
export function eventBridgeEvent(id: string, p: SchedulePayload, fn: FunctionMeta): Record<string, unknown> {
  return {
    version: '0',
    id,
    'detail-type': 'Scheduled Event',
    source: 'nimbus.scheduler',
    account: '000000000000',
    time: new Date(p.scheduledTime).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'local',
    resources: [`${fn.app}/${fn.name}`],
    detail: {},
  };
}

/**
 * The batch a web `queue(batch, env, ctx)` handler gets, and `retries()`: the ids to deliver again
 * once the handler has resolved. The first decision on a message wins (`ack()` then `retry()`
 * keeps the ack), whether it came from the message itself or from `ackAll()`/`retryAll()`.
 */
export function messageBatch(p: QueuePayload): { batch: object; retries: () => string[] } {
  const decisions = new Map<string, Decision>();
  const decide = (id: string, d: Decision) => {
    if (!decisions.has(id)) decisions.set(id, d);
  };
  const messages = p.messages.map((m) =>
    Object.freeze({
      id: m.id,
      timestamp: new Date(m.timestamp),
      body: m.body,
      attempts: m.attempts,
      attributes: Object.freeze({ ...m.attributes }),
      ack: () => decide(m.id, 'ack'),
      retry: () => decide(m.id, 'retry'),
    }),
  );
  const batch = Object.freeze({
    queue: p.queue,
    messages: Object.freeze(messages),
    ackAll: () => messages.forEach((m) => decide(m.id, 'ack')),
    retryAll: () => messages.forEach((m) => decide(m.id, 'retry')),
  });
  return { batch, retries: () => p.messages.filter((m) => decisions.get(m.id) === 'retry').map((m) => m.id) };
}

/** Where the messages come from: the payload says so; older payloads are recognised by their look. */
export function queueSource(p: QueuePayload): QueueSource {
  if (p.eventSource) return p.eventSource;
  if (p.queue.startsWith('/')) return 'webhook';
  const bucketLike = (b: unknown) => {
    const body = b as { type?: unknown; bucket?: unknown; key?: unknown } | null;
    return !!body && (body.type === 'created' || body.type === 'deleted') && body.bucket === p.queue && typeof body.key === 'string';
  };
  return p.messages.length > 0 && p.messages.every((m) => bucketLike(m.body)) ? 'bucket' : 'topic';
}

/** The `{ Records }` event of a Lambda handler: S3-like for buckets, SNS-like when asked for, SQS-like otherwise. */
export function lambdaQueueEvent(p: QueuePayload): { Records: Record<string, unknown>[] } {
  const source = queueSource(p);
  if (source === 'topic' && p.format === 'sns') return { Records: p.messages.map((m) => snsRecord(p.queue, m)) };
  return { Records: p.messages.map((m) => (source === 'bucket' ? s3Record(p.queue, m) : sqsRecord(p.queue, source, m))) };
}

/** The account and region in the ARNs of SNS records (a node has no AWS account; these are AWS's local defaults). */
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

/** An SNS notification record, as SNS delivers one to a Lambda subscriber. */
function snsRecord(topic: string, m: QueuePayloadMessage): Record<string, unknown> {
  const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:${topic}`;
  const attributes: Record<string, { Type: string; Value: string }> = {};
  for (const [k, v] of Object.entries(m.attributes ?? {})) attributes[k] = { Type: 'String', Value: v };
  return {
    EventVersion: '1.0',
    EventSubscriptionArn: `${topicArn}:nimbus`,
    EventSource: 'aws:sns',
    Sns: {
      Type: 'Notification',
      MessageId: m.id,
      TopicArn: topicArn,
      Subject: null,
      // SNS messages are strings: a string is delivered as is, any other JSON as its text.
      Message: typeof m.body === 'string' ? m.body : JSON.stringify(m.body ?? null),
      Timestamp: new Date(m.timestamp).toISOString(),
      SignatureVersion: '1',
      Signature: '',
      SigningCertUrl: '',
      UnsubscribeUrl: '',
      MessageAttributes: attributes,
    },
  };
}

/** SQS's shape of message attributes in a Lambda record. */
function sqsAttributes(attributes: Record<string, string> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attributes ?? {})) out[k] = { stringValue: v, stringListValues: [], binaryListValues: [], dataType: 'String' };
  return out;
}

/** An object key as S3 puts it in event records: URL-encoded, a space as '+', '/' kept. */
export function s3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

function sqsRecord(queue: string, source: QueueSource, m: QueuePayloadMessage): Record<string, unknown> {
  const sent = String(new Date(m.timestamp).getTime());
  return {
    messageId: m.id,
    receiptHandle: m.id,
    body: JSON.stringify(m.body ?? null),
    attributes: { ApproximateReceiveCount: String(m.attempts), SentTimestamp: sent, ApproximateFirstReceiveTimestamp: sent },
    messageAttributes: sqsAttributes(m.attributes),
    eventSource: `nimbus:${source}`,
    eventSourceARN: queue,
    awsRegion: 'local',
  };
}

function s3Record(queue: string, m: QueuePayloadMessage): Record<string, unknown> {
  const b = (m.body ?? {}) as { type?: string; bucket?: string; key?: string; size?: number; etag?: string; contentType?: string };
  return {
    eventVersion: '2.1',
    eventSource: 'nimbus:s3',
    awsRegion: 'local',
    eventTime: new Date(m.timestamp).toISOString(),
    eventName: b.type === 'deleted' ? 'ObjectRemoved:Delete' : 'ObjectCreated:Put',
    // Not in S3's records: the id `batchItemFailures` names to retry this one.
    messageId: m.id,
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: b.bucket ?? queue, arn: `arn:nimbus:s3:::${b.bucket ?? queue}` },
      // S3 sends the ETag without quotes and the key URL-encoded (decode: decodeURIComponent(key.replace(/\+/g, ' '))).
      object: { key: s3EventKey(b.key ?? ''), size: b.size ?? 0, eTag: (b.etag ?? '').replace(/^"|"$/g, ''), contentType: b.contentType ?? '' },
    },
  };
}

/**
 * The messages a Lambda's answer asks to retry: `{ batchItemFailures: [{ itemIdentifier }] }`
 * (SQS partial batch responses). As on AWS, an identifier that names no message of the batch
 * fails the whole batch.
 */
export function lambdaRetries(p: QueuePayload, result: unknown): string[] {
  const failures = (result as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return [];
  const all = p.messages.map((m) => m.id);
  if (!Array.isArray(failures)) return all;
  const ids = new Set<string>();
  for (const f of failures) {
    const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !all.includes(id)) return all;
    ids.add(id);
  }
  return all.filter((id) => ids.has(id));
}

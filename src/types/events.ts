/**
 * Types for function authors: `import type { MessageBatch, KvNamespace } from 'nimbus/types'`.
 * They describe what the sandbox hands handlers (src/sandbox/**) and stay self-contained (no
 * imports), so the emitted declaration file stands alone. docs/events.md shows each in use.
 */

// ---------------------------------------------------------------- bindings (env.<NAME>)

/** `bindings: { SESSIONS: { kv: sessions } }` → `env.SESSIONS` (Workers KV style). */
export interface KvNamespace {
  /** The value as text, or null when missing or expired. */
  get(key: string, options?: 'text' | { type?: 'text' }): Promise<string | null>;
  /** The value parsed as JSON, or null when missing or expired. */
  get<T = unknown>(key: string, options: 'json' | { type: 'json' }): Promise<T | null>;
  /** Strings are stored as they are, anything else as JSON. Keys ≤ 512 bytes, values ≤ 1 MB. `expirationTtl` in seconds (≥ 1). */
  put(key: string, value: string | number | boolean | null | object, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys in UTF-8 byte order, up to `limit` (≤ 1000, default 1000) a page. */
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<KvListResult>;
}

export type KvListResult = { keys: KvKey[]; list_complete: true } | { keys: KvKey[]; list_complete: false; cursor: string };

export interface KvKey {
  name: string;
  /** Epoch seconds, when the value has a TTL. */
  expiration?: number;
}

/** `bindings: { UPLOADS: { bucket: uploads, access: read | write | readwrite } }` → `env.UPLOADS` (R2 style). */
export interface Bucket {
  get(key: string): Promise<BucketObjectBody | null>;
  head(key: string): Promise<BucketObject | null>;
  /** Objects up to 64 MB. Needs access `write` or `readwrite`. */
  put(key: string, body: string | ArrayBuffer | ArrayBufferView | Blob, options?: { contentType?: string }): Promise<BucketObject>;
  /** True when there was such an object. Needs access `write` or `readwrite`. */
  delete(key: string): Promise<boolean>;
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<BucketListResult>;
}

export interface BucketObject {
  key: string;
  size: number;
  /** Quoted hex MD5, as S3: `"9e107d9d…"`. */
  etag: string;
  contentType: string;
  uploaded: Date;
}

export interface BucketObjectBody extends BucketObject {
  text(): Promise<string>;
  json<T = unknown>(): Promise<T>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type BucketListResult = { objects: BucketObject[]; truncated: false } | { objects: BucketObject[]; truncated: true; cursor: string };

/** `bindings: { EMAILS: { topic: emails } }` → `env.EMAILS`. Messages are JSON values (≤ 256 KB each). */
export interface Topic {
  publish(message: unknown, options?: PublishOptions): Promise<{ messageId: string; deliveries: number }>;
  /** 1 to 100 messages, ≤ 1 MB together; the options apply to each. */
  publishBatch(messages: unknown[], options?: PublishOptions): Promise<{ messageIds: string[]; deliveries: number }>;
}

export interface PublishOptions {
  /** Up to 10 string attributes (names: letters, digits, `_-.`; values ≤ 1 KB): SNS `MessageAttributes`, SQS `messageAttributes`, `message.attributes`. */
  attributes?: Record<string, string>;
}

/**
 * What a binding call rejects with when the host refuses or fails it. `code`: BINDING_NOT_GRANTED
 * (not in the manifest, or not with that access), VALUE_TOO_LARGE, BINDING_ERROR, TOPIC_NOT_FOUND, …
 */
export interface NimbusBindingError extends Error {
  name: 'NimbusBindingError';
  code: string;
}

/** A function's `env`: its manifest env vars (strings) and its bindings. Declare your own for precise types. */
export type Env = Readonly<Record<string, string | KvNamespace | Bucket | Topic>>;

// ---------------------------------------------------------------- web style (export default { … })

/** The third argument of every web handler method. */
export interface WebContext {
  invocationId: string;
  functionName: string;
  version: number;
  /** Epoch ms after which the invocation is killed. */
  deadline: number;
  /** Keep the instance working on `promise` after the answer is sent. */
  waitUntil(promise: unknown): void;
  passThroughOnException(): void;
  /** Who the gateway authenticated, on requests to a route with `auth:` (absent otherwise). */
  auth?: RouteAuthContext;
  /**
   * W3C trace context of this invocation (`00-<trace id>-<span id>-<flags>`), when the node traces or
   * the caller sent one; pass it on as a `traceparent` header to continue the trace downstream.
   */
  traceparent?: string;
}

/**
 * `ctx.auth` of a web handler (Lambda handlers read the same in `event.requestContext.authorizer`:
 * `.jwt.claims` / `.jwt.scopes`, or `.lambda` for an authorizer function's context).
 */
export interface RouteAuthContext {
  type: 'jwt' | 'apiKey' | 'function';
  /** A verified JWT's claims ({} for other kinds). */
  claims: Record<string, unknown>;
  /** The JWT's scopes (`scope` / `scp`). */
  scopes: string[];
  /** What an authorizer function returned as `context` ({} for other kinds). */
  context: Record<string, unknown>;
}

/** A schedule tick (`scheduled(event, env, ctx)`). `cron` is the trigger as written (a cron expression or `rate(…)`). */
export interface ScheduledEvent {
  type: 'scheduled';
  cron: string;
  /** Epoch ms of the tick (not of the delivery, which may be later). */
  scheduledTime: number;
}

/** One message of a batch. Neither acked nor retried when the handler resolves = acked. */
export interface Message<Body = unknown> {
  readonly id: string;
  readonly timestamp: Date;
  readonly body: Body;
  /** Deliveries so far, this one included. */
  readonly attempts: number;
  /** The publisher's message attributes (topics; empty otherwise). */
  readonly attributes: Readonly<Record<string, string>>;
  ack(): void;
  /** Deliver this message again later (with backoff), within the function's `retries`. */
  retry(): void;
}

/** `queue(batch, env, ctx)`: topic, bucket or webhook messages. A throw retries the whole batch. The first decision on a message wins. */
export interface MessageBatch<Body = unknown> {
  /** The origin: topic name, bucket name or webhook path. */
  readonly queue: string;
  readonly messages: readonly Message<Body>[];
  ackAll(): void;
  retryAll(): void;
}

/** A bucket notification's body (`bucket:` trigger). */
export interface BucketEventBody {
  type: 'created' | 'deleted';
  bucket: string;
  key: string;
  size: number;
  etag: string;
  contentType: string;
}

/** A signed webhook request's body (`webhook:` trigger). `body` is null for non-UTF-8 bytes, then in `bodyBase64`. */
export interface WebhookEventBody {
  path: string;
  headers: Record<string, string>;
  body: string | null;
  bodyBase64?: string;
}

/** Message bodies by trigger kind, e.g. `MessageBatch<QueueMessageBody['bucket']>`; a topic's is the JSON published. */
export interface QueueMessageBody {
  bucket: BucketEventBody;
  webhook: WebhookEventBody;
  topic: unknown;
}

/** A web-style module's default export: each method is needed only for its kind of event. */
export interface WebHandler<E = Env, Body = unknown> {
  fetch?(request: Request, env: E, ctx: WebContext): Response | Promise<Response>;
  scheduled?(event: ScheduledEvent, env: E, ctx: WebContext): unknown;
  queue?(batch: MessageBatch<Body>, env: E, ctx: WebContext): unknown;
  /** An inbound email (an `email:` trigger), as Cloudflare Email Workers receive it. */
  email?(message: EmailMessage, env: E, ctx: WebContext): unknown;
}

// ---------------------------------------------------------------- email (an `email:` trigger)

/** An attachment of an inbound email. `content` is base64. */
export interface EmailAttachment {
  filename: string | null;
  contentType: string;
  /** Decoded bytes. */
  size: number;
  /** The decoded bytes, base64. */
  content: string;
  disposition: string | null;
  contentId?: string;
}

/**
 * `email(message, env, ctx)`'s message (Cloudflare Email Workers' `ForwardableEmailMessage`, read
 * only, plus the parsed body). One invocation per routed recipient. Throwing retries the delivery.
 */
export interface EmailMessage {
  /** Envelope sender (MAIL FROM). */
  readonly from: string;
  /** Envelope recipient this invocation is for (RCPT TO). */
  readonly to: string;
  readonly headers: Headers;
  readonly subject: string;
  readonly text: string | null;
  readonly html: string | null;
  readonly attachments: readonly EmailAttachment[];
  /** The message as received (RFC 5322 bytes). */
  readonly raw: ReadableStream<Uint8Array>;
  readonly rawSize: number;
}

/** An SES receipt event for Lambda handlers, plus `ses.content` (the parsed body, which SES itself omits). */
export interface SESEvent {
  Records: SESEventRecord[];
}

export interface SESEventRecord {
  eventSource: 'aws:ses';
  eventVersion: '1.0';
  ses: {
    mail: SESMail;
    receipt: SESReceipt;
    /** Not in SES: the parsed body and the raw message (base64). */
    content: { text: string | null; html: string | null; attachments: EmailAttachment[]; raw: string; rawSize: number };
  };
}

export interface SESMail {
  /** ISO time the node received it. */
  timestamp: string;
  /** Envelope sender. */
  source: string;
  /** The Message-ID header without angle brackets, or a generated id. */
  messageId: string;
  /** Every envelope recipient of the message. */
  destination: string[];
  headersTruncated: false;
  headers: Array<{ name: string; value: string }>;
  commonHeaders: { from?: string[]; to?: string[]; cc?: string[]; replyTo?: string[]; subject?: string; messageId?: string; date?: string; returnPath?: string };
}

export interface SESReceipt {
  timestamp: string;
  processingTimeMillis: number;
  /** The envelope recipients this invocation is for (one). */
  recipients: string[];
  spamVerdict: { status: 'DISABLED' };
  virusVerdict: { status: 'DISABLED' };
  spfVerdict: { status: 'DISABLED' };
  dkimVerdict: { status: 'DISABLED' };
  dmarcVerdict: { status: 'DISABLED' };
  action: { type: 'Lambda'; functionArn: string; invocationType: 'Event' };
}

// ---------------------------------------------------------------- Lambda style (export const handler)

/** Lambda's context, plus `env`: the env vars and bindings (`context.env.SESSIONS.get(…)`). */
export interface LambdaContext<E = Env> {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
  /** W3C trace context of this invocation, when the node traces or the caller sent one (see WebContext.traceparent). */
  traceparent?: string;
  env: E;
}

/** A schedule tick for a Lambda handler. */
export interface EventBridgeScheduledEvent {
  version: '0';
  /** The invocation id. */
  id: string;
  'detail-type': 'Scheduled Event';
  source: 'nimbus.scheduler';
  account: string;
  /** ISO time of the tick, to the second. */
  time: string;
  region: 'local';
  /** `[<app>/<function>]`. */
  resources: string[];
  detail: Record<string, never>;
}

/** A topic message or webhook request for a Lambda handler. */
export interface SQSRecord {
  messageId: string;
  receiptHandle: string;
  /** The message body as JSON text: `JSON.parse(record.body)`. */
  body: string;
  attributes: { ApproximateReceiveCount: string; SentTimestamp: string; ApproximateFirstReceiveTimestamp: string };
  /** The publisher's attributes, as SQS shows them. */
  messageAttributes: Record<string, { stringValue: string; stringListValues: []; binaryListValues: []; dataType: 'String' }>;
  eventSource: 'nimbus:topic' | 'nimbus:webhook';
  /** Topic name or webhook path. */
  eventSourceARN: string;
  awsRegion: 'local';
}

export interface SQSEvent {
  Records: SQSRecord[];
}

/** A bucket notification for a Lambda handler. */
export interface S3EventRecord {
  eventVersion: '2.1';
  eventSource: 'nimbus:s3';
  awsRegion: 'local';
  eventTime: string;
  eventName: 'ObjectCreated:Put' | 'ObjectRemoved:Delete';
  /** Not in S3's records: the id to name in `batchItemFailures`. */
  messageId: string;
  s3: {
    s3SchemaVersion: '1.0';
    bucket: { name: string; arn: string };
    /** `eTag` without quotes and `key` URL-encoded (a space as `+`), as S3: `decodeURIComponent(key.replace(/\+/g, ' '))`. */
    object: { key: string; size: number; eTag: string; contentType: string };
  };
}

export interface S3Event {
  Records: S3EventRecord[];
}

/** A topic message for a Lambda subscribed with `shape: sns`, as SNS delivers it. */
export interface SNSEventRecord {
  EventVersion: '1.0';
  EventSubscriptionArn: string;
  EventSource: 'aws:sns';
  Sns: {
    Type: 'Notification';
    MessageId: string;
    /** `arn:aws:sns:us-east-1:000000000000:<topic>`. */
    TopicArn: string;
    Subject: string | null;
    /** A string message as published; any other JSON as its text. */
    Message: string;
    /** ISO time of the publish. */
    Timestamp: string;
    SignatureVersion: '1';
    Signature: string;
    SigningCertUrl: string;
    UnsubscribeUrl: string;
    MessageAttributes: Record<string, { Type: 'String'; Value: string }>;
  };
}

export interface SNSEvent {
  Records: SNSEventRecord[];
}

/** Return it from a batch handler to retry only some messages; an unknown id retries the whole batch. */
export interface SQSBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** What an authorizer function (`auth: { function: … }`) receives: API Gateway HTTP API's v2 REQUEST authorizer event (no body). */
export interface HttpAuthorizerEvent {
  version: '2.0';
  type: 'REQUEST';
  routeArn: string;
  /** The values of the route's `identitySource`, in order. */
  identitySource: string[];
  /** The route, e.g. `GET /orders/{id}`. */
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  pathParameters?: Record<string, string>;
  requestContext: { http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string }; routeKey: string; stage: string; timeEpoch: number };
}

/** An authorizer's answer (API Gateway's "simple response"); `context` reaches the route's function. */
export interface AuthorizerSimpleResponse {
  isAuthorized: boolean;
  context?: Record<string, unknown>;
}

export type LambdaHandler<TEvent = unknown, TResult = unknown, E = Env> = (event: TEvent, context: LambdaContext<E>) => Promise<TResult> | TResult;
export type ScheduledHandler<E = Env> = LambdaHandler<EventBridgeScheduledEvent, unknown, E>;
export type SQSHandler<E = Env> = LambdaHandler<SQSEvent, SQSBatchResponse | void, E>;
export type S3Handler<E = Env> = LambdaHandler<S3Event, SQSBatchResponse | void, E>;
export type SNSHandler<E = Env> = LambdaHandler<SNSEvent, void, E>;
export type SESHandler<E = Env> = LambdaHandler<SESEvent, unknown, E>;
export type AuthorizerHandler<E = Env> = LambdaHandler<HttpAuthorizerEvent, AuthorizerSimpleResponse, E>;

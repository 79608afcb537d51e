/**
 * Domain types shared by every subsystem. No I/O here: plain data that the manifest
 * produces, the store keeps and the runtime executes.
 */

/** An HTTP trigger: `GET /hello/{name}`; method `ANY` matches every method. */
export interface HttpTrigger {
  type: 'http';
  method: string;
  /** Path template with `{param}` segments and an optional trailing `{proxy+}`. */
  path: string;
  /** Who may call the route (`auth:`); absent = anyone. Only set when written, so older configs keep their hash. */
  auth?: RouteAuth;
  /** Browser cross-origin access (`cors:`); absent = no CORS headers, preflights not answered. */
  cors?: CorsPolicy;
  /** Requests per client (`rateLimit:`), a token bucket per node; absent = no limit. */
  rateLimit?: RateLimit;
  /** Lambda event shape (`payload:`): API Gateway REST v1 ('1.0') or HTTP API v2 ('2.0', the default when absent). */
  payload?: '1.0' | '2.0';
  /** Serve this alias of the function (`alias: live`) instead of its active version; absent = the active version. */
  alias?: string;
}

/**
 * How the gateway authenticates a route's callers before the function runs. Every `secret` names
 * a secret of the app (read through the `SecretSource`), never an env value.
 */
export type RouteAuth = JwtAuth | ApiKeyAuth | FunctionAuth;

/** A bearer JWT: signature (JWKS by `kid`, or an HMAC secret), exp/nbf, issuer, audience, scopes. */
export interface JwtAuth {
  type: 'jwt';
  issuer: string;
  /** The token's `aud` must hold one of these. */
  audience: string[];
  /** JWKS URL (asymmetric keys); exactly one of jwks and secret. */
  jwks?: string;
  /** Name of the app secret holding the HMAC key; exactly one of jwks and secret. */
  secret?: string;
  /** Accepted `alg` values, never `none`. */
  algorithms: string[];
  /** Each is required in the token's `scope` (space-separated) or `scp` (list) claim; else 403. */
  scopes: string[];
}

/** A shared key in a header, compared in constant time with an app secret. */
export interface ApiKeyAuth {
  type: 'apiKey';
  /** Lower case. */
  header: string;
  secret: string;
}

/** A Lambda authorizer of the same app (API Gateway HTTP API, simple responses). */
export interface FunctionAuth {
  type: 'function';
  function: string;
  /** Seconds an answer is cached per identity; 0 = not cached. */
  ttl: number;
  /** `header.<name>` (lower case) or `query.<name>`: all must be present, and they key the cache. */
  identitySource: string[];
}

export interface CorsPolicy {
  /** `scheme://host[:port]` each, or `['*']` (then never with credentials). */
  origins: string[];
  /** Methods a preflight allows; empty = the one asked for. */
  methods: string[];
  /** Request headers a preflight allows (lower case); empty = those asked for. */
  headers: string[];
  /** Response headers scripts may read (lower case). */
  exposeHeaders: string[];
  credentials: boolean;
  /** Seconds a browser may cache a preflight; null = not said. */
  maxAge: number | null;
}

export interface RateLimit {
  /** Tokens added every `perMs`. */
  requests: number;
  perMs: number;
  /** Bucket size (default `requests`). */
  burst: number;
  /** Whose bucket: the client address, the API key (or Authorization header) or the verified JWT's `sub`. */
  by: 'ip' | 'key' | 'jwt-sub';
}

/** `schedule: "0 2 * * *"` (cron, 5 or 6 fields) or `schedule: rate(5 minutes)`. */
export interface ScheduleTrigger {
  type: 'schedule';
  /** As written: a cron expression or `rate(N unit)`. */
  schedule: string;
  /** IANA time zone for cron expressions; null = UTC. */
  timezone: string | null;
  /** Fire ticks missed while the server was down (once each), instead of skipping them. */
  catchUp: boolean;
}

/** `topic: orders`: every message published to the topic, fanned out to each subscriber. */
export interface TopicTrigger {
  type: 'topic';
  topic: string;
  /** Messages delivered in one invocation, 1..100 (default 1). */
  batchSize: number;
  /** Seconds to wait for a batch to fill before delivering what there is, 0..300 (default 0). */
  maxBatchWindow: number;
  /** Lambda event shape (`shape:`): SNS records (`Records[].Sns`) or the default SQS-like records when absent. */
  shape?: 'sns' | 'sqs';
}

/** `webhook: /hooks/github`: a signed POST, verified by the gateway, delivered asynchronously. */
export interface WebhookTrigger {
  type: 'webhook';
  /** Exact path, POST only. */
  path: string;
  /** Name of the function's env var that holds the HMAC-SHA256 secret. */
  secret: string;
  /** Header carrying `sha256=<hex>` (lower case), default `x-hub-signature-256`. */
  header: string;
  /**
   * Header holding the delivery's unique id (lower case), its idempotency key: a repeat is answered
   * as the first was and not queued again. Absent: `x-github-delivery` (versions stored before it too).
   */
  deliveryHeader?: string;
  /**
   * Header holding the time the sender signed the request, Unix seconds (lower case). When set,
   * the signature covers `<timestamp>.<body>` and requests further than `tolerance` seconds from
   * now are refused (WEBHOOK_TIMESTAMP_INVALID). Absent: no timestamp check.
   */
  timestampHeader?: string;
  /** Seconds a signed timestamp may differ from now, either way (with timestampHeader). Default 300. */
  tolerance?: number;
}

export type BucketEventType = 'created' | 'deleted';

/** `bucket: uploads`: object-storage notifications. */
export interface BucketTrigger {
  type: 'bucket';
  bucket: string;
  events: BucketEventType[];
  /** Only keys starting with this; '' = all. */
  prefix: string;
  /** Only keys ending with this (S3's suffix rule, e.g. `.jpg`); absent = all. */
  suffix?: string;
}

/**
 * `email: orders@shop.example` (or `*@support.shop.example`): inbound mail received by the node's
 * SMTP server (`--smtp-port`), one event per routed recipient.
 */
export interface EmailTrigger {
  type: 'email';
  /** Lower case: `local@domain`, or `*@domain` for every address of that domain. */
  address: string;
}

export type Trigger = HttpTrigger | ScheduleTrigger | TopicTrigger | WebhookTrigger | BucketTrigger | EmailTrigger;

/** Where an async invocation's outcome goes (as Lambda destinations). */
export type Destination = { function: string } | { topic: string };

/** A platform service a function may reach, as granted in its manifest (`bindings:`). */
export type Binding = { type: 'kv'; kv: string } | { type: 'bucket'; bucket: string; access: 'read' | 'write' | 'readwrite' } | { type: 'topic'; topic: string };

/** How the sandbox finds the handler inside a bundle. */
export interface HandlerRef {
  /** Source file relative to the app directory, e.g. `src/hello.ts`. */
  file: string;
  /**
   * The named export to call Lambda style (`src/app.lambdaHandler` → `lambdaHandler`),
   * or null for a module whose default export is `{ fetch }` (web style) or which exports `handler`.
   */
  export: string | null;
}

/** A function's settings after defaults are applied: what a version freezes. */
export interface FunctionConfig {
  handler: HandlerRef;
  /** MB, 64..4096. */
  memory: number;
  /** MB of private /tmp, 64..10240; absent = 512 (`sandboxSize`). */
  ephemeralStorage?: number;
  /** Seconds, up to 900. */
  timeout: number;
  /** Max concurrent instances of this function; null = only the node-wide limit. */
  concurrency: number | null;
  /** Requests one instance serves at once. */
  instanceConcurrency: number;
  /** Instances kept warm. */
  minInstances: number;
  /** Seconds an idle instance lives. */
  idleTimeout: number;
  /** Seconds a sync request may wait for a busy instance before it is THROTTLED (default 0.5). */
  maxQueueWait: number;
  env: Record<string, string>;
  /**
   * Env variables whose value is an app secret: variable → secret name (`env: { X: { secret: name } }`).
   * Names only: values are decrypted when an instance starts. Absent when the function names none.
   */
  secrets?: Record<string, string>;
  triggers: Trigger[];
  /** Async delivery attempts after the first, 0..10 (default 2). */
  retries: number;
  /** Seconds an async event may wait (incl. retries) before it is dead-lettered, 60..21600 (default 21600). */
  maxEventAge: number;
  destinations: { onSuccess: Destination | null; onFailure: Destination | null };
  /** By the env name the function sees, e.g. `SESSIONS`. */
  bindings: Record<string, Binding>;
  /** Outbound network policy; absent = `{ egress: 'public' }` (public internet only, never the host or private ranges). */
  network?: NetworkPolicy;
  /** The app's namespace (copied from `AppSpec.routes` by the deploy, so a version knows where it answers); absent = default. */
  routes?: AppRoutes;
  /** The app's stage and shared resources (copied from the AppSpec by the deploy); absent: none. */
  stage?: string;
  shared?: SharedResources;
}

/** `network:` in nimbus.yaml: `none`, `public`, or an allow-list of `host:port`, `CIDR`, `CIDR:port` entries. */
export interface NetworkPolicy {
  egress: 'none' | 'public' | string[];
}

/** A validated manifest: what `nimbus.yaml` means once parsed and defaulted. */
/** Where an app's routes and webhooks are matched (`routes:` of nimbus.yaml); absent: the default namespace. */
export interface AppRoutes {
  /** Lower-case host name, or `*.` + one (matches one or more labels below it). */
  host?: string;
  /** `/shop`: prefix of every route; the function sees the path without it. */
  basePath?: string;
}

/** Resources every stage of an app names unprefixed (`shared:` of nimbus.yaml). */
export interface SharedResources {
  topics?: string[];
  buckets?: string[];
  kv?: string[];
}

export interface AppSpec {
  app: string;
  /** Set by `nimbus deploy --stage <stage>`: the app is `<base app>-<stage>`. */
  stage?: string;
  /** Resource names the app's stages share (not prefixed by the stage). */
  shared?: SharedResources;
  /** The app's namespace; absent: the default one, shared with every app that claims none. */
  routes?: AppRoutes;
  functions: Record<string, FunctionConfig>;
}

/** One immutable version of a function. */
export interface FunctionVersion {
  app: string;
  name: string;
  version: number;
  /** sha256 of the bundle plus the canonical config: equal hash = unchanged function. */
  hash: string;
  /** sha256 of the bundle (code is stored once per distinct bundle). */
  codeHash: string;
  /** Bundle size in bytes. */
  codeSize: number;
  config: FunctionConfig;
  createdAt: number;
}

/** A deployed function: its identity and the version that serves traffic. */
export interface FunctionRecord {
  app: string;
  name: string;
  activeVersion: number;
  latestVersion: number;
  createdAt: number;
  updatedAt: number;
  /** The active version's details. */
  active: FunctionVersion;
}

/** `cancelled`: the client went away while the request waited for an instance; it never ran. */
export type InvocationStatus = 'ok' | 'error' | 'timeout' | 'oom' | 'crashed' | 'throttled' | 'cancelled';
export type TriggerKind = 'http' | 'api' | 'event' | 'schedule' | 'topic' | 'webhook' | 'bucket' | 'email';

/** The record every invocation leaves, throttled ones included. */
export interface InvocationRecord {
  id: string;
  app: string;
  function: string;
  version: number;
  trigger: TriggerKind;
  /** Epoch ms when the gateway accepted the request. */
  startedAt: number;
  /** Wall ms from accept to answer. */
  durationMs: number;
  /** Duration rounded up to the next whole ms (what metering bills). */
  billedMs: number;
  memoryMb: number;
  /** Peak RSS of the instance in MB as seen after the invocation; null if unknown. */
  maxMemoryMb: number | null;
  coldStart: boolean;
  /** Ms spent loading the function's module on a cold start; null when warm. */
  initMs: number | null;
  status: InvocationStatus;
  /** Error code and message when status is not ok. */
  errorCode: string | null;
  errorMessage: string | null;
  /** HTTP status sent to the caller, when the trigger was HTTP. */
  httpStatus: number | null;
  /** W3C trace id (32 hex digits) of the invocation's span, or of the caller's `traceparent`; null when untraced. */
  traceId: string | null;
  /**
   * Body bytes sent to an HTTP caller: a streamed response counts what it streamed (up to a cut at
   * the stream limit); absent when no HTTP response was sent (other triggers, failures before a body, older records).
   */
  responseBytes?: number;
  /** The cluster node that ran it (`nimbus up --node-id`); absent on a single node and in older records. */
  node?: string;
}

export type LogStream = 'stdout' | 'stderr' | 'system';

/** One captured line of a function's output. */
export interface LogLine {
  /** Monotonic cursor assigned by the store; 0 before it is stored. */
  seq: number;
  invocationId: string | null;
  app: string;
  function: string;
  version: number;
  /** Epoch ms. */
  ts: number;
  stream: LogStream;
  line: string;
}

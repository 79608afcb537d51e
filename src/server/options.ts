import type { GatewayLimits, JwksOptions } from '../gateway/index.js';
import type { SecretSource } from '../secrets/index.js';
import type { IsolationMode, IsolationReport } from '../isolation/index.js';
import type { BackoffOptions } from '../queue/index.js';
import type { InvocationRecord, LogLine, PriceSheet } from '../domain/index.js';
import type { TracingOptions } from '../tracing/index.js';
import type { BackendChoice } from './backend.js';
import type { SmtpLimits } from '../triggers/index.js';

/** What `nimbus up` (or a test harness) chooses when it starts a node. */
export interface NimbusOptions {
  /** Where SQLite, bucket files and the admin key live (with PostgreSQL: the key files). Created if missing. */
  dataDir: string;
  /** Interface both listeners bind to. Default 127.0.0.1. */
  host?: string;
  /** Gateway (public function traffic). 0 = any free port. Default 8080. */
  port?: number;
  /** Control API. 0 = any free port. Default 8081. */
  adminPort?: number;
  /**
   * Prometheus metrics WITHOUT authentication on their own port (`GET /metrics`), for a scraper in
   * a trusted network; unset: only the control API's `GET /metrics` (a `read` key) serves them.
   */
  metricsPort?: number;
  /**
   * Inbound email (`email:` triggers): an SMTP server on `port` (0 = any free port) of `host`, with
   * no AUTH or TLS, so keep it on loopback or behind a relay. Unset: no SMTP server. `limits`:
   * message size (default 10 MB), connections, messages per connection, recipients.
   */
  smtp?: { port: number; limits?: Partial<SmtpLimits> };
  /** The built dashboard served at the admin port's `/`. Default: dist/dashboard of this package. */
  dashboardDir?: string;
  /** Node-wide cap on live instances. Default sized from memory. */
  maxInstances?: number;
  /** Pre-warmed generic processes kept ready per memory size. Default 2 (grows up to 4× after running dry). */
  poolSize?: number;
  /** Sandbox processes starting at once (pool refills and new instances). Default max(2, cores). */
  spawnParallel?: number;
  /**
   * Async event delivery. `backoff`: the retry delay (default up to 1 s, 2 s, 4 s … with full jitter,
   * capped at 5 min). Tests shorten or lengthen the backoff.
   */
  events?: { backoff?: BackoffOptions };
  /**
   * Where the node keeps its state. Default `{ kind: 'sqlite' }`: `<dataDir>/nimbus.db` (with
   * `synchronous: 'FULL'`, accepted events survive power loss too, an fsync per group commit).
   * `{ kind: 'postgres', url, nodeId }`: a database several nodes share (docs/cluster.md).
   */
  backend?: BackendChoice;
  /**
   * On close (SIGTERM), how long the gateway's `/healthz` answers 503 draining, still serving
   * requests, before the listeners close, so a load balancer's health check takes the node out
   * first. Default 0 on SQLite, 2000 ms on PostgreSQL (a cluster behind a load balancer).
   */
  drainMs?: number;
  /**
   * Outbound policy of isolated sandboxes (`network: { egress }`): `off` leaves them in their
   * loopback-only namespace; otherwise (as root, with nft) each gets a veth and the node's nftables
   * rules. `subnet`: where veth addresses come from (default 10.213.0.0/16); `enableIpForward`: turn
   * net.ipv4.ip_forward on when off (default: report it).
   */
  network?: { egress?: 'auto' | 'off'; subnet?: string; enableIpForward?: boolean };
  /** KV storage each app may store (keys + values), MB; a put over it fails QUOTA_EXCEEDED. Default 100. */
  kvQuotaMb?: number;
  /** Bucket objects each app may store, MB; a put over it fails QUOTA_EXCEEDED. Default 1024. */
  bucketQuotaMb?: number;
  /**
   * What the public gateway admits: connections in total (default from the open-file limit, leaving
   * room for instances and databases) and per client address (256), header and body timeouts
   * (10 s, 30 s), request-body bytes held node-wide (1/16 of memory, 64 MB–1 GB).
   */
  gateway?: Partial<GatewayLimits>;
  /** Log quotas: bytes one invocation keeps (default 1 MB), lines one instance keeps per second (default 100). */
  logQuota?: { bytesPerInvocation?: number; linesPerSecond?: number };
  /** Instances one app may keep warm with minInstances (deploy refuses more). Default a quarter of maxInstances. */
  minInstancesPerApp?: number;
  /** MB of binding uploads (base64 `part`s) all instances may hold at once. Default ~170 (two 64 MB objects). */
  transferBudgetMb?: number;
  /**
   * OS isolation of sandbox processes (namespaces, cgroups, uid ranges: ARCHITECTURE.md, "Isolation").
   * auto (default): every layer the host allows, with a warning for the rest; strict: refuse to
   * start (ISOLATION_UNAVAILABLE) without all of them; off: the permission model and uid only.
   */
  isolation?: IsolationMode;
  /**
   * The master key that encrypts app secrets (32 bytes as base64 or 64 hex digits; the CLI passes
   * NIMBUS_MASTER_KEY). Unset: `<dataDir>/master.key` (mode 0600), created on the first start. A key
   * that does not match the stored secrets refuses the start (MASTER_KEY_INVALID).
   */
  masterKey?: string;
  /**
   * Where route auth reads the app secrets its `secret:` keys name (JWT HMAC keys, API keys).
   * Unset: the node's encrypted secret store (the same one `nimbus secret set` writes). Tests may pass a map.
   */
  secrets?: SecretSource;
  /** JWKS fetching of JWT routes: `cooldownMs` between refetches (default 30 s), `timeoutMs` per fetch (5 s). */
  jwks?: JwksOptions;
  /** The price sheet of `/v1/usage` and `/v1/stats` (USD per request, per GB-second). Default: Lambda's x86 prices. */
  prices?: Partial<PriceSheet>;
  /**
   * OpenTelemetry span export (OTLP/HTTP; the CLI reads the OTEL_* variables). Unset: no spans are
   * made at all, and only a caller's `traceparent` is passed on to functions and records.
   */
  tracing?: TracingOptions;
  /** Sees records, log lines and gateway answers as they happen (`nimbus dev` prints them). */
  observe?: NodeObserver;
  /**
   * The AWS region functions are told they run in (AWS_REGION, AWS_DEFAULT_REGION: what SDK
   * clients built with `{}` resolve). Default us-east-1.
   */
  region?: string;
  /** Where the server writes its own operational log lines. Default: stderr. */
  log?: (line: string) => void;
}

/** Hooks on the node's hot paths, called synchronously: keep them cheap and never throw. */
export interface NodeObserver {
  /** Every invocation record as the node accepts it (before it is stored). */
  record?(r: InvocationRecord): void;
  /** Every log line of a function as it is captured (secrets already masked). */
  log?(l: LogLine): void;
  /** Every answer of the public gateway; `invocationId` when a function was invoked for it. */
  request?(r: { method: string; path: string; status: number; invocationId: string | null }): void;
}

export interface RunningNimbus {
  /** e.g. http://127.0.0.1:8080 */
  gatewayUrl: string;
  /** e.g. http://127.0.0.1:8081 */
  adminUrl: string;
  /** e.g. http://127.0.0.1:9464/metrics, when `metricsPort` is set. */
  metricsUrl?: string;
  /** e.g. smtp://127.0.0.1:2525, when `smtp` is set. */
  smtpUrl?: string;
  adminKey: string;
  /** `<dataDir>/admin.key` */
  adminKeyFile: string;
  /** The node's app secrets, decrypted on demand (what route auth and other readers use). */
  secrets: SecretSource;
  /** Which isolation layers this node applies (also in the control API's /healthz). */
  isolation: IsolationReport;
  /**
   * Write pending records and log lines to the store, then tell whether no event is pending (due
   * or waiting for a retry) or being delivered. A test harness polls it to wait for quiet.
   */
  drained(): Promise<boolean>;
  /** Graceful stop: stop accepting, let in-flight requests finish, stop instances, close the store. */
  close(): Promise<void>;
}

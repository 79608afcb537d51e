/**
 * `nimbus/testing`: a real Nimbus node for integration tests of an app — a temporary data dir,
 * free ports, real sandbox processes, the app deployed through the one deploy path — behind a
 * small Promise API that any test framework can drive (node:test, Vitest, Jest: nothing here
 * imports one). Everything it starts is stopped by `close()` (or `await using`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NimbusClient } from '../client/client.js';
import { deployDir, type DeployDirResult } from '../client/deploy.js';
import type { AsyncInvokeView, InvocationRecord, InvokeResult, LogLineView } from '../client/types.js';
import type { PublishResult } from '../client/storage-types.js';
import { startNimbus } from '../server/index.js';
import type { NimbusOptions, RunningNimbus } from '../server/options.js';
import { NimbusError } from '../shared/errors.js';

export interface TestPlatformOptions {
  /** The app directory (its nimbus.yaml), relative to the working directory. */
  app: string;
  /** App secrets set before the deploy (what `nimbus secret set` would hold), e.g. `{ DB_PASSWORD: 'x' }`. */
  secrets?: Record<string, string>;
  /** Node settings for special cases, e.g. `{ events: { backoff: { baseMs: 10, maxMs: 50, jitter: 'none' } } }` for fast retries. */
  node?: Partial<Omit<NimbusOptions, 'dataDir'>>;
  /** The node's own log lines (start-up notes, warnings). Default: kept in `platform.serverLog`. */
  log?: (line: string) => void;
}

export interface RecordsQuery {
  /** One function's records; default every function of the app. */
  function?: string;
  /** At most this many per function (default 50, max 1000). */
  limit?: number;
}

export interface TestPlatform extends AsyncDisposable {
  /** The gateway, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** The control API, and the node's admin key for calls of your own (`Authorization: Bearer <key>`). */
  readonly adminUrl: string;
  readonly adminKey: string;
  /** A control-API client with the node's admin key: anything the CLI can do. */
  readonly client: NimbusClient;
  /** The app's name (from its nimbus.yaml) and what its deploy answered. */
  readonly app: string;
  readonly deployed: DeployDirResult;
  /** The node's own log lines so far (when no `log` option was given). */
  readonly serverLog: readonly string[];
  /** The node's temporary data dir (SQLite, objects, admin key); removed by `close()`. */
  readonly dataDir: string;
  /** fetch() through the public gateway: `path` is relative to `url`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Run `fn` (`name`, or `app/name`) with `event` and wait for its answer; function failures are returned (`error`), not thrown. */
  invoke(fn: string, event?: unknown): Promise<InvokeResult>;
  /** Queue `event` for `fn` (202); it runs with retries like any async invoke. `await idle()` to wait for it. */
  invoke(fn: string, event: unknown, options: { async: true; idempotencyKey?: string }): Promise<AsyncInvokeView>;
  /** Publish one message to a topic. */
  publish(topic: string, message: unknown): Promise<PublishResult>;
  /** Fire the schedule trigger of `fn` now (as `nimbus run-schedule`); returns the queued event's id. */
  runSchedule(fn: string, schedule?: string): Promise<{ eventId: string }>;
  /** Wait until no event is pending or being delivered (retries included) and every record is stored. */
  idle(options?: { timeoutMs?: number }): Promise<void>;
  /** Invocation records, most recent first. */
  records(query?: RecordsQuery): Promise<InvocationRecord[]>;
  /** Log lines of `fn`, oldest first (`invocation`: only that invocation's). */
  logs(fn: string, query?: { invocation?: string }): Promise<LogLineView[]>;
  /** Stop the node and its sandboxes, free the ports, remove the data dir. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Start a node and deploy the app in `options.app` to it.
 * @example
 * const platform = await createTestPlatform({ app: './my-app' });
 * const res = await platform.fetch('/hello/world');
 * await platform.close();
 */
export async function createTestPlatform(options: TestPlatformOptions): Promise<TestPlatform> {
  const root = await mkdtemp(join(tmpdir(), 'nimbus-testing-'));
  const serverLog: string[] = [];
  let node: RunningNimbus;
  try {
    node = await startNimbus({ port: 0, adminPort: 0, poolSize: 1, ...options.node, dataDir: join(root, 'data'), log: options.log ?? ((l) => serverLog.push(l)) });
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  const client = new NimbusClient({ url: node.adminUrl, key: node.adminKey });
  let deployed: DeployDirResult;
  try {
    deployed = await deploy(client, resolve(options.app), options.secrets ?? {});
  } catch (err) {
    await node.close();
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  return new Platform(node, client, deployed, serverLog, root);
}

/** Secrets first (a deploy naming a missing one is refused), then the app. */
async function deploy(client: NimbusClient, dir: string, secrets: Record<string, string>): Promise<DeployDirResult> {
  if (Object.keys(secrets).length === 0) return deployDir(client, dir);
  const { loadManifest } = await import('../manifest/index.js');
  const { spec } = await loadManifest(dir);
  for (const [name, value] of Object.entries(secrets)) await client.setSecret(spec.app, name, value);
  return deployDir(client, dir);
}

/** Poll interval of `idle()`: a depth query and a telemetry flush, cheap enough to do often. */
const IDLE_POLL_MS = 10;

class Platform implements TestPlatform {
  readonly url: string;
  readonly adminUrl: string;
  readonly adminKey: string;
  readonly app: string;
  readonly dataDir: string;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly node: RunningNimbus,
    readonly client: NimbusClient,
    readonly deployed: DeployDirResult,
    readonly serverLog: string[],
    private readonly root: string,
  ) {
    this.url = node.gatewayUrl;
    this.adminUrl = node.adminUrl;
    this.adminKey = node.adminKey;
    this.app = deployed.app;
    this.dataDir = join(root, 'data');
  }

  fetch(path: string, init?: RequestInit): Promise<Response> {
    return fetch(new URL(path, this.url), init);
  }

  invoke(fn: string, event?: unknown): Promise<InvokeResult>;
  invoke(fn: string, event: unknown, options: { async: true; idempotencyKey?: string }): Promise<AsyncInvokeView>;
  invoke(fn: string, event: unknown = {}, options?: { async: true; idempotencyKey?: string }): Promise<InvokeResult | AsyncInvokeView> {
    const t = this.target(fn);
    if (options?.async) return this.client.invokeAsync(t.app, t.fn, event, options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey });
    return this.client.invoke(t.app, t.fn, event);
  }

  publish(topic: string, message: unknown): Promise<PublishResult> {
    return this.client.publish(topic, message);
  }

  async runSchedule(fn: string, schedule?: string): Promise<{ eventId: string }> {
    const t = this.target(fn);
    return this.client.runSchedule(t.app, t.fn, schedule);
  }

  async idle(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const until = Date.now() + timeoutMs;
    while (!(await this.node.drained())) {
      if (Date.now() > until) {
        throw new NimbusError(
          'IDLE_TIMEOUT',
          `platform.idle(): events were still pending or being delivered after ${timeoutMs} ms (a retry backoff? pass { timeoutMs }, or node: { events: { backoff } })`,
        );
      }
      await new Promise((r) => setTimeout(r, IDLE_POLL_MS));
    }
  }

  async records(query: RecordsQuery = {}): Promise<InvocationRecord[]> {
    await this.node.drained();
    const names = query.function === undefined ? Object.keys(this.deployed.spec.functions) : [query.function];
    const lists = await Promise.all(names.map((n) => this.target(n)).map((t) => this.client.listInvocations(t.app, t.fn, query.limit === undefined ? {} : { limit: query.limit })));
    return lists.flat().sort((a, b) => b.startedAt - a.startedAt);
  }

  async logs(fn: string, query: { invocation?: string } = {}): Promise<LogLineView[]> {
    await this.node.drained();
    const t = this.target(fn);
    const lines: LogLineView[] = [];
    for (let after: number | undefined; ;) {
      const page = await this.client.logs(t.app, t.fn, { ...query, ...(after === undefined ? {} : { after }) });
      lines.push(...page.lines);
      if (!page.more) return lines;
      after = page.next;
    }
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await this.node.close();
      await rm(this.root, { recursive: true, force: true });
    })());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** `name` is a function of the deployed app; `app/name` reaches any app on the node. */
  private target(ref: string): { app: string; fn: string } {
    const slash = ref.indexOf('/');
    return slash < 0 ? { app: this.app, fn: ref } : { app: ref.slice(0, slash), fn: ref.slice(slash + 1) };
  }
}

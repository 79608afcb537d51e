/** `nimbus up`: run a node (gateway + control API) in the foreground, optionally deploying apps. */
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { NimbusClient } from '../../client/client.js';
import type { DeployDirResult } from '../../client/deploy.js';
import type { HttpTrigger } from '../../domain/index.js';
import type { NimbusOptions, RunningNimbus } from '../../server/options.js';
import { DEFAULT_REGION, isNodeId, isPostgresUrl, isRegion, redactUrl } from '../../domain/index.js';
import { NimbusError, toNimbusError } from '../../shared/errors.js';
import { DEFAULT_KEY_FILE, DEFAULT_URL, readMasterKey, readTracing, userConfigDir } from '../config.js';
import { NODES_FILE, forgetNode, recordNode } from '../nodes.js';
import type { CliContext } from '../context.js';
import { formatError, printLine, reportError } from '../output.js';
import { curlLine } from './curl.js';
import { deploySummary, routesOf } from './deploy.js';
import { type JsonFlag, collect, parseBytes, parseCount, parsePort, parsePrice } from './options.js';

interface UpOptions extends JsonFlag {
  otlpEndpoint?: string;
  dataDir: string;
  host: string;
  port: number;
  adminPort: number;
  metricsPort?: number;
  smtpPort?: number;
  smtpMaxSize?: number;
  maxInstances?: number;
  poolSize?: number;
  kvQuota?: number;
  bucketQuota?: number;
  maxConnections?: number;
  maxConnectionsPerClient?: number;
  headersTimeout?: number;
  bodyTimeout?: number;
  bodyBudget?: number;
  logQuota?: number;
  logRate?: number;
  minInstancesPerApp?: number;
  priceRequest?: number;
  priceGbSecond?: number;
  isolation: string;
  deploy: string[];
  egressSubnet: string;
  ipForward?: boolean;
  region: string;
  db?: string;
  nodeId?: string;
  drainMs?: number;
}

const ISOLATION_MODES = ['auto', 'strict', 'off'] as const;

function parseIsolation(value: string): (typeof ISOLATION_MODES)[number] {
  const mode = ISOLATION_MODES.find((m) => m === value);
  if (mode === undefined) throw new NimbusError('BAD_REQUEST', `--isolation must be one of ${ISOLATION_MODES.join(', ')} (got "${value}")`);
  return mode;
}

function parseDb(value: string): string {
  if (!isPostgresUrl(value)) throw new NimbusError('BAD_REQUEST', `--db must be a PostgreSQL URL such as postgres://nimbus@db-host/nimbus (got "${value}")`);
  return value;
}

function parseNodeId(value: string): string {
  if (!isNodeId(value)) throw new NimbusError('BAD_REQUEST', `--node-id must be 1-63 lowercase letters, digits and dashes, e.g. "a" or "node-2" (got "${value}")`);
  return value;
}

/** `--db` and `--node-id` go together: a node of a cluster must say which one it is. */
function backendOf(opts: UpOptions): NimbusOptions['backend'] {
  if (opts.db === undefined) {
    if (opts.nodeId !== undefined) throw new NimbusError('BAD_REQUEST', '--node-id names a node of a cluster: give --db postgres://… too');
    return undefined;
  }
  if (opts.nodeId === undefined) throw new NimbusError('BAD_REQUEST', '--db needs --node-id <id>: each node sharing the database has its own id ([a-z0-9-])');
  return { kind: 'postgres', url: opts.db, nodeId: opts.nodeId };
}

function parseRegion(value: string): string {
  if (!isRegion(value)) throw new NimbusError('BAD_REQUEST', `--region must be an AWS region name such as us-east-1 or eu-west-1 (got "${value}")`);
  return value;
}

/** One line per isolation layer, so the operator sees what protects the node and what does not. */
export function isolationLines(report: RunningNimbus['isolation']): string[] {
  const lines = [`Isolation (${report.mode}${report.root ? '' : ', not root'}):`];
  for (const l of report.layers) lines.push(`  ${l.ok ? 'on ' : 'OFF'}  ${l.name.padEnd(14)} ${l.detail}`);
  return lines;
}

export { curlLine } from './curl.js';

/** EADDRINUSE is the one start-up failure a user fixes with a flag, so say which flag. */
export function portInUse(err: unknown, opts: { host: string }): NimbusError | undefined {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code !== 'EADDRINUSE') return undefined;
  const where = e.port === undefined ? 'a port' : `port ${e.port} on ${e.address ?? opts.host}`;
  return new NimbusError('BAD_REQUEST', `${where} is already in use (another \`nimbus up\`?): stop it, ` + 'or choose other ports with --port, --admin-port or --smtp-port (0 = any free port)', {
    cause: err,
  });
}

/** The gateway limits given as flags (seconds and MB on the command line). */
function gatewayLimits(opts: UpOptions): NonNullable<NimbusOptions['gateway']> {
  const limits: NonNullable<NimbusOptions['gateway']> = {};
  if (opts.maxConnections !== undefined) limits.maxConnections = Math.max(1, opts.maxConnections);
  if (opts.maxConnectionsPerClient !== undefined) limits.maxConnectionsPerClient = Math.max(1, opts.maxConnectionsPerClient);
  if (opts.headersTimeout !== undefined) limits.headersTimeoutMs = Math.max(1, opts.headersTimeout) * 1000;
  if (opts.bodyTimeout !== undefined) limits.bodyTimeoutMs = Math.max(1, opts.bodyTimeout) * 1000;
  if (opts.bodyBudget !== undefined) limits.maxBodyBytesInFlight = Math.max(1, opts.bodyBudget) * 1024 * 1024;
  return limits;
}

/**
 * Record the node in the per-user config so the CLI finds it (and its key) from any directory;
 * the entry goes when this process exits, however it exits. A config dir that cannot be written
 * costs a warning, never the start.
 */
export function rememberNode(running: Pick<RunningNimbus, 'adminUrl' | 'gatewayUrl' | 'adminKeyFile'>, dataDir: string): string | undefined {
  const dir = userConfigDir();
  if (dir === undefined) return undefined;
  const { adminUrl, gatewayUrl, adminKeyFile: keyFile } = running;
  try {
    recordNode(dir, { adminUrl, gatewayUrl, keyFile, dataDir, pid: process.pid, startedAt: new Date().toISOString() });
  } catch (err) {
    process.stderr.write(`warning: could not record this node in ${dir} (the CLI elsewhere will need NIMBUS_URL/NIMBUS_KEY): ${(err as Error).message}\n`);
    return undefined;
  }
  process.on('exit', () => {
    try {
      forgetNode(dir, adminUrl, process.pid);
    } catch {
      // Exiting anyway: a stale entry is skipped by readers once this pid is gone.
    }
  });
  return join(dir, NODES_FILE);
}

/** Stop gracefully on the first signal; a second one means the user is done waiting. */
function stopOnSignals(running: RunningNimbus): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
    stopping = true;
    process.stderr.write('shutting down…\n');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        reportError(err, { json: false });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function banner(ctx: CliContext, running: RunningNimbus, deployed: DeployDirResult[], fmt: (t: HttpTrigger) => string, recorded: string | undefined, backend: NimbusOptions['backend']): string[] {
  const keyPath = displayPath(ctx.cwd, running.adminKeyFile);
  const lines = ['Nimbus is up.', `  gateway      ${running.gatewayUrl}`, `  control API  ${running.adminUrl}`];
  if (running.smtpUrl) lines.push(`  smtp         ${running.smtpUrl}`);
  // The password, if the URL has one, is not printed.
  if (backend?.kind === 'postgres') lines.push(`  cluster      node ${backend.nodeId} on ${redactUrl(backend.url)} (nimbus cluster status)`);
  lines.push(`  admin key    ${keyPath}`, '');
  lines.push(...isolationLines(running.isolation), '');
  for (const d of deployed) lines.push(...deploySummary(d, fmt), '');
  const first = deployed.flatMap(routesOf)[0];
  if (first !== undefined) lines.push('Try it:', `  ${curlLine(running.gatewayUrl, first.trigger)}`, '');
  else lines.push('Deploy an app from another terminal: nimbus init my-app && cd my-app && nimbus deploy', '');
  lines.push('Use the CLI from another terminal:');
  if (recorded !== undefined) {
    lines.push(`  nimbus ls          (from any directory: this node and its key are recorded in ${recorded})`);
  } else {
    if (running.adminUrl !== DEFAULT_URL) lines.push(`  export NIMBUS_URL=${running.adminUrl}`);
    lines.push(`  export NIMBUS_KEY=$(cat ${keyPath})`);
    if (running.adminKeyFile === resolve(ctx.cwd, DEFAULT_KEY_FILE)) {
      lines.push(`  (or run it from ${ctx.cwd}: it reads ${DEFAULT_KEY_FILE} by itself)`);
    }
    lines.push('  nimbus ls');
  }
  lines.push('', 'Press Ctrl-C to stop.');
  return lines;
}

export function registerUpCommand(program: Command, ctx: CliContext): void {
  program
    .command('up')
    .description('start Nimbus in the foreground: the HTTP gateway and the control API')
    .option('--data-dir <dir>', 'where the database, bundles and admin key live', '.nimbus')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'gateway port (0 = any free port)', parsePort, 8080)
    .option('--admin-port <port>', 'control API port (0 = any free port)', parsePort, 8081)
    .option('--metrics-port <port>', 'serve Prometheus metrics WITHOUT a key on this port (GET /metrics; for a scraper in a trusted network)', parsePort)
    .option('--smtp-port <port>', 'receive email for `email:` triggers on this SMTP port (0 = any free port; no AUTH/TLS: keep --host on loopback or put a relay in front)', parsePort)
    .option('--smtp-max-size <MB>', 'largest email the SMTP server accepts, MB (default 10; 552 over it)', parseCount)
    .option('--max-instances <n>', 'node-wide cap on live function instances', parseCount)
    .option('--pool-size <n>', 'pre-warmed processes kept ready per memory size', parseCount)
    .option('--kv-quota <MB>', 'KV values (keys + values) each app may store, MB (default 100)', parseCount)
    .option('--bucket-quota <MB>', 'bucket objects each app may store, MB (default 1024)', parseCount)
    .option('--max-connections <n>', 'gateway connections open at once (default: from the open-file limit)', parseCount)
    .option('--max-connections-per-client <n>', 'gateway connections open at once per client address (default 256)', parseCount)
    .option('--headers-timeout <s>', 'seconds a client has to send its request headers (default 10)', parseCount)
    .option('--body-timeout <s>', 'seconds a client has to send a whole request body (default 30)', parseCount)
    .option('--body-budget <MB>', 'request-body megabytes the gateway holds at once, node-wide (default 1/16 of memory, 64–1024)', parseCount)
    .option('--log-quota <size>', 'log output one invocation keeps, e.g. 1mb, 256kb (default 1mb); the rest is dropped', parseBytes)
    .option('--log-rate <lines>', 'log lines one instance keeps per second (default 100)', parseCount)
    .option('--min-instances-per-app <n>', 'instances one app may keep warm with minInstances (default a quarter of --max-instances)', parseCount)
    .option('--price-request <usd>', 'what `nimbus usage` charges per request, USD (default 0.0000002: $0.20 per million)', parsePrice)
    .option('--price-gb-second <usd>', 'what `nimbus usage` charges per GB-second of billed duration × memory, USD (default 0.0000166667)', parsePrice)
    .option('--isolation <mode>', 'sandbox isolation: auto (what the host allows, with a warning), strict (refuse to start without every layer), off', 'auto')
    .option('--deploy <dir>', 'deploy the app in dir once started (repeatable)', collect, [])
    .option('--json', 'print one JSON line with the URLs, key file and deploy results instead of the banner')
    .option('--egress-subnet <cidr>', "IPv4 subnet for isolated sandboxes' veths (each node claims a /21 of it)", '10.213.0.0/16')
    .option('--otlp-endpoint <url>', 'export OpenTelemetry spans over OTLP/HTTP to this base URL (default: OTEL_EXPORTER_OTLP_ENDPOINT)')
    .option('--region <region>', 'the AWS region functions see (AWS_REGION, AWS_DEFAULT_REGION), e.g. eu-west-1', parseRegion, DEFAULT_REGION)
    .option('--db <url>', 'keep state in this PostgreSQL database, shared with other nodes (a cluster; see docs/cluster.md) instead of SQLite in --data-dir', parseDb)
    .option('--node-id <id>', "this node's id in the cluster ([a-z0-9-], unique per node; needed with --db)", parseNodeId)
    .option('--drain-ms <ms>', 'on SIGTERM, ms the gateway /healthz answers 503 (requests still served) before closing, so a load balancer takes the node out (default 0; 2000 with --db)', parseCount)
    .option('--ip-forward', 'turn net.ipv4.ip_forward on if it is off (sandboxes need it to reach anything outside)')
    .action(async (opts: UpOptions) => {
      // Loaded on demand: the server pulls in SQLite and the sandbox, which no other command needs.
      const { startNimbus } = await import('../../server/index.js');
      const options: NimbusOptions = {
        dataDir: resolve(ctx.cwd, opts.dataDir),
        host: opts.host,
        port: opts.port,
        adminPort: opts.adminPort,
        isolation: parseIsolation(opts.isolation),
        region: opts.region,
      };
      const backend = backendOf(opts);
      if (backend !== undefined) options.backend = backend;
      if (opts.drainMs !== undefined) options.drainMs = opts.drainMs;
      const masterKey = readMasterKey();
      if (masterKey !== undefined) options.masterKey = masterKey;
      const tracing = readTracing(opts.otlpEndpoint);
      if (tracing !== undefined) options.tracing = tracing;
      if (opts.metricsPort !== undefined) options.metricsPort = opts.metricsPort;
      if (opts.smtpPort !== undefined) options.smtp = { port: opts.smtpPort, ...(opts.smtpMaxSize !== undefined ? { limits: { maxMessageBytes: opts.smtpMaxSize * 1024 * 1024 } } : {}) };
      if (opts.maxInstances !== undefined) options.maxInstances = opts.maxInstances;
      if (opts.poolSize !== undefined) options.poolSize = opts.poolSize;
      options.network = { subnet: opts.egressSubnet, enableIpForward: opts.ipForward === true };
      if (opts.kvQuota !== undefined) options.kvQuotaMb = opts.kvQuota;
      if (opts.bucketQuota !== undefined) options.bucketQuotaMb = opts.bucketQuota;
      options.gateway = gatewayLimits(opts);
      if (opts.minInstancesPerApp !== undefined) options.minInstancesPerApp = opts.minInstancesPerApp;
      if (opts.logQuota !== undefined || opts.logRate !== undefined)
        options.logQuota = { ...(opts.logQuota !== undefined ? { bytesPerInvocation: opts.logQuota } : {}), ...(opts.logRate !== undefined ? { linesPerSecond: opts.logRate } : {}) };
      if (opts.priceRequest !== undefined || opts.priceGbSecond !== undefined)
        options.prices = { ...(opts.priceRequest !== undefined ? { request: opts.priceRequest } : {}), ...(opts.priceGbSecond !== undefined ? { gbSecond: opts.priceGbSecond } : {}) };
      const running = await startNimbus(options).catch((err: unknown) => {
        throw portInUse(err, opts) ?? err;
      });
      stopOnSignals(running);
      const recorded = rememberNode(running, options.dataDir);

      const deployed: DeployDirResult[] = [];
      const failed: Array<{ dir: string; error: unknown }> = [];
      if (opts.deploy.length > 0) {
        const { deployDir } = await import('../../client/deploy.js');
        const { readTemplateEnv } = await import('../config.js');
        const { printTemplateWarnings } = await import('./deploy.js');
        const client = new NimbusClient({ url: running.adminUrl, key: running.adminKey });
        for (const dir of opts.deploy) {
          try {
            const result = await deployDir(client, resolve(ctx.cwd, dir), { env: readTemplateEnv() });
            printTemplateWarnings(result);
            deployed.push(result);
          } catch (err) {
            // The node stays up: the user fixes the app and runs `nimbus deploy` against it.
            const e = toNimbusError(err);
            failed.push({ dir, error: e.toJSON().error });
            if (!opts.json) process.stderr.write(`deploy of ${dir} failed:\n${formatError(e)}\n\n`);
          }
        }
      }
      if (opts.json) {
        const apps = deployed.map(({ spec: _spec, ...answer }) => answer);
        const { gatewayUrl, adminUrl, metricsUrl, smtpUrl, adminKeyFile, isolation } = running;
        // One line, so a harness that spawned `nimbus up --port 0` can read the ports it got.
        return printLine(JSON.stringify({ gatewayUrl, adminUrl, metricsUrl, smtpUrl, adminKeyFile, isolation, deployed: apps, failed }));
      }
      const { formatRoute } = await import('../../manifest/index.js');
      for (const line of banner(ctx, running, deployed, formatRoute, recorded, options.backend)) printLine(line);
    });
}

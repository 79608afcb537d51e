/**
 * The composition root of a Nimbus node: the only place that picks implementations (SQLite store,
 * warm pool of sandboxed processes) and wires subsystems together.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { DEFAULT_PRICES, DEFAULT_REGION, isRegion, sandboxShape, type FunctionVersion } from '../domain/index.js';
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlApi, KeyService } from '../control/index.js';
import { Deployments } from '../deploy/index.js';
import { Gateway, resolveLimits } from '../gateway/index.js';
import { egressHooks } from '../network/index.js';
import { EventDispatcher, EventService } from '../queue/index.js';
import { setupIsolation } from '../isolation/index.js';
import { CpuMeter, defaultMinInstancesPerApp, readCpuQuota, Runtime, SandboxProcess, SpawnBudget, WarmPool } from '../runtime/index.js';
import { systemClock } from '../shared/clock.js';
import { NimbusError } from '../shared/errors.js';
import { functionSecretRefs, resolveMasterKey, Secrets, type MasterKey } from '../secrets/index.js';
import { FunctionMetrics, MetricsServer, NodeMetrics, TelemetryWriter } from '../telemetry/index.js';
import { startTracing } from '../tracing/index.js';
import { emailSource, httpSource, Resources, resourcesOf, resourcesSource, Scheduler, scheduleSource, Topics, type EmailSource, type TriggerSource } from '../triggers/index.js';
import { agreeSharedKeys, runtimeStats } from '../cluster/index.js';
import { ensureAdminKey, ensureKeySecret } from './admin-key.js';
import { startClusterNode, type ClusterNode } from './cluster-node.js';
import { openBackend, type Backend } from './backend.js';
import type { NimbusOptions, RunningNimbus } from './options.js';
import { prepareSandboxFiles } from './sandbox-files.js';

export type { NimbusOptions, RunningNimbus } from './options.js';
export type { BackendChoice } from './backend.js';

/** Default node-wide instance cap: three quarters of memory in 128 MB instances. */
export function defaultMaxInstances(): number {
  return Math.max(4, Math.floor((totalmem() * 0.75) / (128 * 1024 * 1024)));
}

export async function startNimbus(options: NimbusOptions): Promise<RunningNimbus> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const observe = options.observe;
  if (options.region !== undefined && !isRegion(options.region)) throw new NimbusError('BAD_REQUEST', `region must be an AWS region name such as us-east-1 (got "${options.region}")`);
  // Tracing (issue 10): this node's own provider, or nothing at all without an endpoint. A bad
  // sampler setting refuses the start before anything is opened.
  const tracing = await startTracing(options.tracing);
  const tracer = tracing?.tracer;
  // Isolation first: `--isolation strict` refuses to start before anything is opened.
  const files = prepareSandboxFiles();
  let isolation: ReturnType<typeof setupIsolation>;
  try {
    isolation = setupIsolation({ mode: options.isolation ?? 'auto', runRoot: files.root, clock: systemClock, log });
  } catch (err) {
    rmSync(files.root, { recursive: true, force: true });
    await tracing?.close();
    throw err;
  }
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const adminKeyFile = join(dataDir, 'admin.key');
  const MB = 1024 * 1024;
  // State (issue 11): SQLite in the data dir, or a PostgreSQL database shared by N nodes. Secrets
  // (issue 9) are ciphertexts in their own table; the master key never enters the database. A
  // wrong key refuses the start here, before anything else is opened.
  let backend: Backend | undefined;
  let masterKey: MasterKey;
  // The admin key and the API keys' HMAC secret: files in the data dir on one node; in a cluster,
  // agreed in the database by the first node (every node writes the same admin.key).
  let adminKey: string;
  let keySecret: Buffer;
  try {
    backend = await openBackend(options.backend ?? { kind: 'sqlite' }, { dataDir, log, ...(options.kvQuotaMb === undefined ? {} : { kvQuotaBytes: options.kvQuotaMb * MB }) });
    masterKey = await resolveMasterKey({ dataDir, masterKey: options.masterKey, store: backend.secretStore });
    const shared = backend.cluster ? await agreeSharedKeys({ pool: backend.cluster.pool, adminKeyFile }) : undefined;
    adminKey = shared?.adminKey ?? ensureAdminKey(adminKeyFile);
    keySecret = shared?.keySecret ?? ensureKeySecret(join(dataDir, 'key-hmac.secret'));
  } catch (err) {
    await backend?.close();
    isolation.close();
    rmSync(files.root, { recursive: true, force: true });
    await tracing?.close();
    throw err;
  }
  const { store, secretStore, queue, kv } = backend;
  // The cluster view (joined below, before anything acts in this node's name); on SQLite, this node alone.
  let clusterNode: ClusterNode | undefined;
  // Metrics (issue 10): a registry of this node's own; gauges read the runtime, pool and queue at scrape time.
  const metrics = new NodeMetrics({
    instances: () => runtime.metrics().instances,
    load: () => runtime.metrics().load,
    pool: () => pool.stats(),
    events: async () => (await queue.dueTargets(Date.now())).map((t) => ({ app: t.app, function: t.function, pending: t.due, oldestRunAt: t.oldestRunAt })),
    now: () => Date.now(),
  });
  // Every invocation record passes through the writer: counting there keeps counters equal to records.
  const telemetry = new TelemetryWriter({
    store,
    sink: backend.openTelemetrySink(),
    // In a cluster every record says which node ran it (logs and records are read from any node).
    ...(options.backend?.kind === 'postgres' ? { nodeId: options.backend.nodeId } : {}),
    log,
    observe: (r) => {
      metrics.observe(r);
      observe?.record?.(r);
    },
  });
  // EMF lines functions print become their metrics (issue 12): Prometheus series and store migration 0010.
  const functionMetrics = new FunctionMetrics({ series: metrics.emf, store: backend.functionMetrics, log });
  // Events (issue 4): the durable queue (own connection, own migrations). `events` is what triggers,
  // the control API and destinations enqueue through; every commit wakes the dispatcher.
  const events = new EventService({ queue, functions: { current: (app, name) => deployments.current(app, name) }, clock: systemClock });
  // A topic, bucket or KV namespace exists while a deployed function names it. Its data is kept
  // (stored per owning app) when a deploy or rollback stops naming it; only deleting the app
  // (`nimbus rm --app`) deletes the KV values and objects it owns (see appDeleted below).
  const resources = new Resources({
    released: ({ kind, name, app }) => log(`${kind} "${name}" is no longer named by app "${app}"; its data is kept`),
  });
  const purgeAppData = (app: string, last: FunctionVersion[]): void => {
    const named = new Map(last.flatMap((f) => resourcesOf(f.config)).map((r) => [`${r.kind}:${r.name}`, r]));
    for (const r of named.values()) {
      const purge = r.kind === 'bucket' ? objects.purge(app, r.name) : r.kind === 'kv' ? kv.deleteNamespace(`${app}/${r.name}`) : undefined;
      void purge?.then(
        (n) => n > 0 && log(`app "${app}" deleted: ${r.kind} "${r.name}": ${n} item(s) deleted`),
        (err: unknown) => log(`app "${app}" deleted: deleting ${r.kind} "${r.name}" failed: ${(err as Error).message}`),
      );
    }
  };
  // Per-app quotas (issue 8): running totals kept in the same transactions as the writes.
  const bucketQuota = options.bucketQuotaMb === undefined ? {} : { quotaBytes: options.bucketQuotaMb * MB };
  const objects = await backend.openObjects({ buckets: resources, queue: events, log, ...bucketQuota });
  const topics = new Topics({ queue: events, resources });
  const scheduler = new Scheduler({ queue: events, state: backend.scheduleState, log, ...(tracer ? { tracer } : {}) });
  // Uids from this node's own range; one goes back only once its process can no longer run (`exited` waits for that).
  const uids = isolation.uids;
  // Finding 1, network half: per-function egress for sandboxes in their own network namespace.
  const network = options.network?.egress === 'off' ? undefined : egressHooks({ subnet: options.network?.subnet, enableIpForward: options.network?.enableIpForward, log });

  // Every sandbox process, whoever holds it (pool, instance, a refill under way), so that none can
  // outlive the node.
  const processes = new Set<SandboxProcess>();
  const spawn = (size: number): SandboxProcess => {
    const uid = uids?.acquire();
    const { memoryMb, ephemeralMb } = sandboxShape(size);
    let proc: SandboxProcess;
    try {
      proc = new SandboxProcess({ shimPath: files.shimPath, tmpRoot: files.root, memoryMb, ephemeralMb, uid, confine: isolation.confine });
    } catch (err) {
      // Out of descriptors or processes: the pool and the runtime back off; the uid is free again.
      if (uid !== undefined) uids?.release(uid);
      throw err;
    }
    processes.add(proc);
    network?.spawned(proc);
    void proc.exited.then(() => {
      processes.delete(proc);
      if (uid !== undefined) uids?.release(uid);
    });
    return proc;
  };
  // Process starts (~60 ms of CPU each) share one budget sized from the cores: pool refills and new
  // instances alike, so a burst of first calls cannot become a spawn storm.
  // Under a CPU quota (a container limit, a cgroup share) the quota is the node's cores, not the machine's.
  const quota = readCpuQuota();
  const cores = quota ? Math.max(1, Math.min(availableParallelism(), Math.ceil(quota.cores))) : availableParallelism();
  const budget = new SpawnBudget(options.spawnParallel ?? Math.max(2, cores));
  const pool = new WarmPool({ spawn, budget, clock: systemClock, size: options.poolSize ?? 2, log });
  const maxInstances = options.maxInstances ?? defaultMaxInstances();
  const minInstancesPerApp = options.minInstancesPerApp ?? defaultMinInstancesPerApp(maxInstances);
  // The one SecretSource of the node (the gateway's route auth reads it too); changes replace the
  // instances of the active functions that name the secret.
  const usersOf = (app: string, name: string): FunctionVersion[] => [...deployments.all()].filter((f) => f.app === app && functionSecretRefs(f.name, f.config).some((r) => r.secret === name));
  const secrets = new Secrets({
    store: secretStore,
    key: masterKey,
    clock: systemClock,
    users: (app, name) => usersOf(app, name).map((f) => `${f.app}/${f.name}`),
    changed: (app, name) => {
      for (const f of usersOf(app, name)) runtime.recycle(f.app, f.name);
    },
    exclusive: (work) => deployments.exclusive(work),
    // A cluster's other nodes drop their cached value (Secrets.invalidate).
    published: (app, name) => clusterNode?.publish({ kind: 'secret', app, name }),
    // API keys' AWS secrets are sealed under the master key too (issue 12).
    rotated: async (previous, next) => void (await keys.reseal(previous, next)),
  });
  const runtime = new Runtime({
    // In a cluster a function's `concurrency` counts across nodes (runtime/concurrency-gate.ts).
    ...(backend.concurrencyGate ? { concurrencyGate: backend.concurrencyGate } : {}),
    pool,
    secretEnv: (fn) => secrets.envFor(fn.app, fn.name, fn.config.secrets ?? {}),
    scaling: { floor: 2 * cores, cpu: new CpuMeter(quota) },
    loadCode: (hash) => store.getCode(hash),
    prepare: network && ((proc, fn) => network.prepare(proc, fn)),
    maxInstances,
    minInstancesPerApp,
    region: options.region ?? DEFAULT_REGION,
    ...(options.logQuota ? { logQuota: options.logQuota } : {}),
    ...(options.transferBudgetMb !== undefined ? { transferBudget: options.transferBudgetMb * 1024 * 1024 } : {}),
    clock: systemClock,
    onRecord: (r, logged) => {
      telemetry.record(r, logged);
      // A running canary counts its versions' requests and errors as they happen.
      deployments.observe(r);
    },
    onLog: (l) => {
      telemetry.log(l);
      functionMetrics.line(l);
      observe?.log?.(l);
    },
    // What `bindings:` reach from inside functions; every call is checked by the runtime's BindingHost.
    bindings: { kv, objects, topics },
    ...(tracer ? { tracer } : {}),
    log,
  });
  const gateway = new Gateway({
    runtime,
    log,
    events,
    limits: resolveLimits(options.gateway, maxInstances),
    clock: systemClock,
    // Route auth's `secret:` values: the node's encrypted store (options.secrets: a test's override).
    secrets: options.secrets ?? secrets,
    answered: (status, req, invocationId) => {
      metrics.gatewayAnswer(status);
      observe?.request?.({ method: req.method ?? 'GET', path: req.url ?? '/', status, invocationId: invocationId ?? null });
    },
    // A route's `alias:` and a canary's share pick the version that runs (issue 12).
    route: (fn, alias) => deployments.route(fn, alias),
    ...(options.jwks ? { jwks: options.jwks } : {}),
    ...(tracer ? { tracer } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  // Trigger sources (src/triggers/sources/): each gets the deployed set on every change, starts
  // once the node is ready and closes before the queue. A new source is one line here.
  const email: EmailSource | undefined =
    options.smtp === undefined ? undefined : emailSource({ queue: events, clock: systemClock, host, port: options.smtp.port, limits: options.smtp.limits ?? {}, log });
  const sources: TriggerSource[] = [httpSource(gateway), resourcesSource(resources), scheduleSource(scheduler), ...(email ? [email] : [])];
  const closeSources = () => Promise.all(sources.map((s) => s.close()));
  const deployments = new Deployments(
    store,
    {
      activate: (fn) => runtime.activate(fn),
      deactivate: (app, name) => runtime.deactivate(app, name),
      changed: (active) => {
        const list = [...active];
        for (const source of sources) source.setFunctions(list);
      },
      appDeleted: (app, last) => {
        purgeAppData(app, last);
        functionMetrics.appDeleted(app);
      },
      serving: (app, name, versions) => runtime.serveAlso(app, name, versions),
      // A cluster's other nodes re-read the app (Deployments.refresh).
      published: (app) => clusterNode?.publish({ kind: 'app', app }),
    },
    { minInstancesPerApp, secretExists: async (app, name) => (await secretStore.get(app, name)) !== undefined },
    { clock: systemClock, log, shared: backend.cluster !== undefined },
  );
  // Records of finished attempts are made durable before their events are settled (flushRecords).
  const dispatcher = new EventDispatcher({
    queue,
    events,
    runtime,
    // A canary's share of the function's events goes to its new version.
    functions: { current: (app, name) => deployments.serve(app, name) },
    clock: systemClock,
    publish: topics,
    flushRecords: () => telemetry.flush(),
    onOutcome: (app, fn, outcome) => metrics.eventSettled(app, fn, outcome),
    backoff: options.events?.backoff,
    ...(tracer ? { tracer } : {}),
    log,
  });
  // API keys (issue 9): stored as HMACs under a secret that never leaves the data dir.
  // AWS credentials of keys (issue 12) are sealed under the master key, which rotation changes.
  const keys = new KeyService({ adminKey, secret: keySecret, store, masterKey: () => secrets.masterKey, checkMasterKey: () => secrets.checkMasterKey() });
  const control = new ControlApi({
    deployments,
    runtime,
    store,
    telemetry,
    events,
    objects,
    topics,
    resources,
    keys,
    secrets,
    // The Lambda Invoke API's `Qualifier` may name an alias (issue 12).
    resolveAlias: (app, fn, alias) => deployments.resolveAlias(app, fn, alias),
    schedules: scheduler,
    prices: { ...DEFAULT_PRICES, ...options.prices },
    metrics,
    functionMetrics,
    log,
    health: () => ({ isolation: isolation.report }),
    cluster: { status: () => clusterNode!.status() },
    // Built by `vite build` next to the compiled server: dist/src/server → dist/dashboard.
    dashboardDir: options.dashboardDir ?? fileURLToPath(new URL('../../dashboard/', import.meta.url)),
  });

  // If the host dies without close(), no sandbox may outlive it.
  const onExit = () => {
    for (const proc of processes) proc.killSync();
    isolation.close();
    rmSync(files.root, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  const metricsServer = options.metricsPort === undefined ? undefined : new MetricsServer(metrics);
  try {
    // The egress layer joins the report once namespaces are on; strict needs it too.
    if (network && isolation.confine) {
      await network.start();
      const egress = await network.probe();
      isolation.report.layers.push({ name: 'network egress', ok: egress.ok, detail: egress.detail });
      if (!egress.ok && options.isolation === 'strict') throw new NimbusError('ISOLATION_UNAVAILABLE', `--isolation strict: cannot apply network egress: ${egress.detail}`);
    }
    pool.want(128);
    // NODE_ID_IN_USE refuses the start here, before this node recovers events in its name. Changes
    // other nodes make from now on are applied (API keys need nothing: every check reads the store).
    clusterNode = await startClusterNode({
      backend,
      apply: async (change) => {
        if (change.kind === 'app') await deployments.refresh(change.app);
        else if (change.kind === 'secret') secrets.invalidate(change.app, change.name);
      },
      stats: () => runtimeStats(runtime.metrics()),
      depth: () => events.depth(),
      log,
    });
    // Events that were being delivered when the last run of this node died are due again.
    const recovered = await queue.recover(Date.now());
    if (recovered > 0) log(`events: ${recovered} event(s) interrupted by the last shutdown will be delivered again`);
    await deployments.init();
    dispatcher.start();
    for (const source of sources) await source.start();
    const port = await gateway.listen(options.port ?? 8080, host);
    const adminPort = await control.listen(options.adminPort ?? 8081, host);
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const metricsPort = metricsServer && options.metricsPort !== undefined ? await metricsServer.listen(options.metricsPort, host) : undefined;
    await clusterNode.announce({ gatewayUrl: `http://${urlHost}:${port}`, adminUrl: `http://${urlHost}:${adminPort}` });
    const node = clusterNode;
    // In a cluster the load balancer needs a few health checks (inter 1s fall 2) to stop sending requests here.
    const drainMs = options.drainMs ?? (backend.cluster ? 2000 : 0);
    let closing: Promise<void> | undefined;
    return {
      gatewayUrl: `http://${urlHost}:${port}`,
      adminUrl: `http://${urlHost}:${adminPort}`,
      ...(metricsPort === undefined ? {} : { metricsUrl: `http://${urlHost}:${metricsPort}/metrics` }),
      ...(email?.port() === undefined ? {} : { smtpUrl: `smtp://${urlHost}:${email.port()}` }),
      adminKey,
      adminKeyFile,
      secrets,
      isolation: isolation.report,
      drained: async () => {
        // Bucket events wait in the objects' outbox for a moment after the write returned.
        await objects.outboxDrained();
        await telemetry.flush();
        return (await events.depth()) === 0;
      },
      close: () =>
        (closing ??= (async () => {
          // Draining: /healthz answers 503 while requests are still served, then the listeners close.
          gateway.drain();
          await node.drain().catch((err: unknown) => log(`cluster: ${(err as Error).message}`));
          if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
          await Promise.all([gateway.close(), control.close(), metricsServer?.close()]);
          // Canaries stop their timers; a running one resumes at the next start (its row says running).
          deployments.close();
          await Promise.all([closeSources(), objects.close()]);
          await dispatcher.close();
          await runtime.close();
          await pool.close();
          await Promise.all([...processes].map((p) => p.stop(500)));
          await network?.close();
          await telemetry.close();
          await functionMetrics.close();
          // Every span has ended by now (gateway, dispatcher and runtime are closed): export them.
          await tracing?.close().catch((err: unknown) => log(`tracing: the last spans could not be exported: ${(err as Error).message}`));
          await node.close();
          await backend.close();
          isolation.close();
          rmSync(files.root, { recursive: true, force: true });
          process.off('exit', onExit);
        })()),
    };
  } catch (err) {
    await Promise.allSettled([gateway.close(0), control.close(), metricsServer?.close(), closeSources(), objects.close()]);
    deployments.close();
    await dispatcher.close(0);
    await runtime.close();
    await pool.close();
    await network?.close();
    // The telemetry worker thread would otherwise keep a failed `nimbus up` from exiting.
    await telemetry.close();
    await functionMetrics.close();
    await tracing?.close().catch(() => {});
    await clusterNode?.close().catch(() => {});
    await backend.close();
    onExit();
    process.off('exit', onExit);
    throw err;
  }
}

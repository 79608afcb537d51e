/**
 * Deployments: the desired state of every app (in the store) and the in-memory set of active
 * versions that the gateway routes to and the runtime runs.
 *
 * A deploy is atomic per app: validate everything (schema, bundles, route conflicts with other
 * apps) → one store transaction (new versions, active pointers, removed functions) → one
 * synchronous swap of the in-memory set, which rebuilds the route table. Either every function
 * and route of the app switches, or nothing changes. Deploys run one at a time.
 *
 * Aliases and canary deploys (aliases.ts, canary.ts) split a function's traffic between versions:
 * the gateway asks `route()` which version serves each request, the event dispatcher `serve()`.
 * A canary deploy stores the new versions without activating them (keepActive), gives them a share
 * of their function's traffic, and later promotes them (setActiveVersion) or drops them.
 */
import { z } from 'zod';
import type { AppSpec, CanaryRecord, FunctionConfig, FunctionRecord, FunctionVersion, InvocationRecord } from '../domain/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { AliasBook, aliasMissing } from './aliases.js';
import { CanaryRunner, type Schedule } from './canary-runner.js';
import { Canaries } from './canaries.js';
import { Traffic, type Random } from './traffic.js';
import { appSpecSchema } from '../manifest/index.js';
import type { DeployAppResult, DeployFunctionInput, Store } from '../store/index.js';
import { NimbusError } from '../shared/errors.js';
import { checkResourceConflicts } from '../triggers/resources.js';
import { functionSecretRefs, secretMissing } from '../secrets/index.js';
import { checkRouteConflicts } from './conflicts.js';
import { sha256, versionHash } from './hash.js';

export const canaryRequestSchema = z
  .strictObject({
    weight: z.number().int().min(1).max(99).describe("percentage (1-99) of each changed function's traffic the new versions get"),
    durationMs: z.number().int().min(1000).max(86_400_000).describe('how long before the new versions are promoted, ms (1 s to 24 h)'),
    maxErrorRate: z.number().min(0).max(100).optional().describe("percentage points the new versions' error rate may exceed the old ones' (default 2)"),
  })
  .describe('deploy as a canary: the new versions get a share of the traffic, then are promoted or rolled back');

export const deployRequestSchema = z.strictObject({
  spec: appSpecSchema,
  bundles: z.record(z.string(), z.strictObject({ code: z.string() })),
  canary: canaryRequestSchema.optional(),
});
export type DeployRequest = z.input<typeof deployRequestSchema>;

export interface DeploymentListener {
  /** `fn` is now the active version of its function. */
  activate(fn: FunctionVersion): void;
  /** The function no longer exists. */
  deactivate(app: string, name: string): void;
  /** The set of active versions changed (rebuild routes). */
  changed(active: Iterable<FunctionVersion>): void;
  /** The app was deleted on request; `last` are its functions' versions as they were active. */
  appDeleted?(app: string, last: FunctionVersion[]): void;
  /** The versions of a function besides the active one that take traffic (aliases, a canary); called after `activate`. */
  serving?(app: string, name: string, versions: FunctionVersion[]): void;
  /**
   * A deploy, rollback, delete, alias change or canary start/end of the app committed on this node
   * (a cluster tells the other nodes, which call `refresh`). Not called for `refresh` itself.
   */
  published?(app: string): void;
}

/** How often a node stores its canaries' counts and (in a cluster) looks for canaries whose node died. */
const CANARY_TICK_MS = 5_000;

/** Time and chance, injected for tests. */
export interface DeployRuntimeOptions {
  clock?: Clock;
  random?: Random;
  schedule?: Schedule;
  log?: (line: string) => void;
  /** The store is shared with other nodes (a cluster): canaries are run by the node that started them. */
  shared?: boolean;
}

/** What a node allows an app to ask for. */
export interface DeployLimits {
  /** Instances one app may keep warm with minInstances, all its functions together (none: no cap). */
  minInstancesPerApp?: number;
  /** Whether the app has the secret; a deploy (or rollback) naming one it has not is refused with SECRET_NOT_FOUND. None: not checked. */
  secretExists?: (app: string, name: string) => Promise<boolean>;
}

export class Deployments {
  private readonly active = new Map<string, FunctionVersion>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly traffic: Traffic;
  /** Aliases: `nimbus alias set|ls|rm` (aliases.ts). */
  readonly aliases: AliasBook;
  /** Canary deploys: status, abort, and the record observer (canaries.ts). */
  readonly canaries: Canaries;
  private readonly shared: boolean;
  private readonly log: (line: string) => void;
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly listener: DeploymentListener,
    private readonly limits: DeployLimits = {},
    options: DeployRuntimeOptions = {},
  ) {
    const clock = options.clock ?? systemClock;
    const log = options.log ?? (() => {});
    this.traffic = new Traffic(options.random);
    const host = {
      store,
      traffic: this.traffic,
      clock,
      log,
      serial: <T>(work: () => Promise<T>) => this.serial(work),
      mustGet: (app: string, name: string) => this.mustGet(app, name),
      current: (app: string, name: string) => this.current(app, name),
      reloadApp: (app: string) => this.reloadApp(app),
      published: (app: string) => this.listener.published?.(app),
      syncServing: (app: string, name: string) => this.syncServing(app, name),
      checkRoutes: (app: string, fns: FunctionVersion[]) => {
        checkRouteConflicts(app, fns, this.active.values(), false);
        checkResourceConflicts(app, fns, this.active.values(), false);
      },
    };
    this.aliases = new AliasBook(host);
    const runner = new CanaryRunner({ clock, ...(options.schedule ? { schedule: options.schedule } : {}), end: (app, action, reason) => this.canaries.end(app, action, reason) });
    this.canaries = new Canaries(host, runner);
    this.shared = options.shared ?? false;
    this.log = log;
  }

  /** Load what the store says is deployed (server start), with its aliases and running canaries. */
  async init(): Promise<void> {
    for (const f of await this.store.listFunctions()) this.active.set(key(f.app, f.name), f.active);
    await this.aliases.load();
    await this.canaries.resume(this.shared);
    for (const fn of this.active.values()) this.syncServing(fn.app, fn.name);
    for (const fn of this.active.values()) this.listener.activate(fn);
    this.listener.changed(this.active.values());
    if (!this.sweep) {
      // Counts are stored as they go (a restart resumes them); a canary whose node died is ended by
      // the first node of a cluster to notice (Canaries.endOrphans).
      this.sweep = setInterval(() => void this.canaryTick().catch((err: unknown) => this.log(`canaries: ${(err as Error).message}`)), CANARY_TICK_MS);
      this.sweep.unref();
    }
  }

  /**
   * The version that runs a request routed to `fn` (an active version): with `alias`, the alias's
   * pick (ALIAS_NOT_FOUND when the alias does not exist yet); without, `fn` or a canary's share.
   */
  route(fn: FunctionVersion, alias?: string): FunctionVersion {
    if (alias === undefined) return this.traffic.serve(fn);
    const picked = this.traffic.alias(fn.app, fn.name, alias);
    if (!picked) throw aliasMissing(fn.app, fn.name, alias);
    return picked;
  }

  /** The version that runs the function's next invocation (a canary's share included): queued events. */
  serve(app: string, name: string): FunctionVersion | undefined {
    const active = this.current(app, name);
    return active && this.traffic.serve(active);
  }

  /**
   * The version `alias` of `app/fn` sends this invocation to (its weighted pick made); undefined when
   * there is no such alias. For Qualifier resolution (the Lambda Invoke API). Alias versions take
   * traffic (Runtime.serveAlso): `runtime.invoke(version, ...)` runs exactly that version.
   */
  async resolveAlias(app: string, fn: string, alias: string): Promise<FunctionVersion | undefined> {
    return this.traffic.alias(app, fn, alias);
  }

  /** Every invocation record passes here: a running canary counts its versions' requests and errors. */
  observe(record: InvocationRecord): void {
    this.canaries.observe(record);
  }

  /** What the canary timer does every CANARY_TICK_MS (tests call it directly). */
  async canaryTick(): Promise<void> {
    await this.canaries.checkpoint();
    if (this.shared) await this.canaries.endOrphans();
  }

  /** Stop the canaries' timers (node shutdown; running canaries resume at the next start). */
  close(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = undefined;
    this.canaries.close();
  }

  /** The active version of a function, if deployed. */
  current(app: string, name: string): FunctionVersion | undefined {
    return this.active.get(key(app, name));
  }

  all(): Iterable<FunctionVersion> {
    return this.active.values();
  }

  async deploy(app: string, body: unknown): Promise<DeployAppResult & { canary?: CanaryRecord }> {
    const parsed = deployRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      throw new NimbusError('MANIFEST_INVALID', `the deploy request is invalid:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`, { details: { issues } });
    }
    const spec = parsed.data.spec as AppSpec;
    if (spec.app !== app) throw new NimbusError('BAD_REQUEST', `the manifest is for app "${spec.app}" but the request path names "${app}"`);
    const inputs: DeployFunctionInput[] = [];
    for (const [name, own] of Object.entries(spec.functions)) {
      const config = appLevel(spec, own);
      const bundle = parsed.data.bundles[name];
      if (!bundle) throw new NimbusError('BAD_REQUEST', `no bundle was sent for function "${name}"`, { details: { function: name } });
      const codeHash = sha256(bundle.code);
      inputs.push({ name, config, code: bundle.code, codeHash, hash: versionHash(codeHash, config) });
    }
    for (const name of Object.keys(parsed.data.bundles)) {
      if (!(name in spec.functions)) throw new NimbusError('BAD_REQUEST', `a bundle was sent for "${name}", which the manifest does not define`);
    }
    this.checkMinInstances(inputs);
    const canary = parsed.data.canary;
    return this.serial(async () => {
      await this.canaries.refuseWhileRunning(app);
      checkRouteConflicts(app, inputs, this.active.values());
      checkResourceConflicts(app, inputs, this.active.values());
      await this.checkSecrets(app, inputs);
      const before = new Map([...this.active.values()].filter((f) => f.app === app).map((f) => [f.name, f]));
      const result = await this.store.deployApp(app, inputs, canary ? { keepActive: true } : {});
      const started = canary ? await this.canaries.start(app, result, before, { weight: canary.weight, durationMs: canary.durationMs, maxErrorRate: canary.maxErrorRate ?? 2 }) : undefined;
      await this.reloadApp(app);
      this.listener.published?.(app);
      return started ? { ...result, canary: started } : result;
    });
  }

  rollback(app: string, name: string, to?: number): Promise<FunctionRecord> {
    return this.serial(async () => {
      const fn = await this.mustGet(app, name);
      await this.canaries.refuseWhileRunning(app, name);
      let target = to;
      if (target === undefined) {
        const older = (await this.store.listVersions(app, name)).filter((v) => v.version < fn.activeVersion);
        const previous = older.at(-1);
        if (!previous) throw new NimbusError('VERSION_NOT_FOUND', `${app}/${name} has no version before v${fn.activeVersion} to roll back to`);
        target = previous.version;
      }
      const version = await this.store.getVersion(app, name, target);
      if (!version) throw new NimbusError('VERSION_NOT_FOUND', `${app}/${name} has no version ${target}; see \`nimbus versions ${app}/${name}\``);
      checkRouteConflicts(app, [{ name, config: version.config }], this.active.values(), false);
      checkResourceConflicts(app, [{ name, config: version.config }], this.active.values(), false);
      await this.checkSecrets(app, [{ name, config: version.config }]);
      const record = await this.store.setActiveVersion(app, name, target);
      await this.reloadApp(app);
      this.listener.published?.(app);
      return record;
    });
  }

  deleteFunction(app: string, name: string): Promise<void> {
    return this.serial(async () => {
      if (!(await this.store.deleteFunction(app, name))) throw notFound(app, name);
      this.traffic.drop(app, name);
      await this.reloadApp(app);
      this.listener.published?.(app);
    });
  }

  deleteApp(app: string): Promise<void> {
    return this.serial(async () => {
      const last = [...this.active.values()].filter((f) => f.app === app);
      if (!(await this.store.deleteApp(app))) throw new NimbusError('APP_NOT_FOUND', `no app named "${app}" is deployed; see \`nimbus ls\``);
      this.canaries.forget(app);
      this.traffic.drop(app);
      await this.reloadApp(app);
      this.listener.published?.(app);
      this.listener.appDeleted?.(app, last);
    });
  }

  /**
   * Another node of the cluster changed the app (a deploy, rollback, delete, alias or canary): re-read
   * its functions, aliases and canary from the store under the deploy lock and swap them in at once.
   * The app's data is not purged here when it was deleted: the deleting node did that.
   */
  refresh(app: string): Promise<void> {
    return this.serial(async () => {
      await this.canaries.dropEndedElsewhere(app);
      const aliases = await this.aliases.read(app);
      const canaries = await this.canaries.read(app);
      await this.reloadApp(app, () => this.traffic.replaceApp(app, aliases, canaries));
    });
  }

  async mustGet(app: string, name: string): Promise<FunctionRecord> {
    const fn = await this.store.getFunction(app, name);
    if (!fn) throw notFound(app, name);
    return fn;
  }

  /** Run `work` while no deploy, rollback or delete runs (`nimbus secret rm` checks its users under it). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.serial(work);
  }

  /** Every secret the functions name exists, under the deploy lock (so `secret rm` cannot slip in between). */
  private async checkSecrets(app: string, inputs: { name: string; config: Pick<FunctionConfig, 'secrets' | 'triggers'> }[]): Promise<void> {
    const exists = this.limits.secretExists;
    if (!exists) return;
    for (const ref of inputs.flatMap((i) => functionSecretRefs(i.name, i.config))) {
      if (!(await exists(app, ref.secret))) throw secretMissing(app, ref.function, ref.where, ref.secret);
    }
  }

  /** The app's minInstances, all functions together, within the node's per-app cap. */
  private checkMinInstances(inputs: { name: string; config: { minInstances: number } }[]): void {
    const cap = this.limits.minInstancesPerApp;
    const total = inputs.reduce((sum, i) => sum + i.config.minInstances, 0);
    if (cap === undefined || total <= cap) return;
    const issues = inputs.filter((i) => i.config.minInstances > 0).map((i) => ({ path: `functions.${i.name}.minInstances`, message: `${i.config.minInstances}` }));
    throw new NimbusError(
      'MANIFEST_INVALID',
      `the app asks for ${total} instances kept warm (minInstances of ${issues.map((i) => i.path).join(', ')}), more than the ${cap} one app may keep on this node: ` +
        'lower minInstances, or raise the cap with `nimbus up --min-instances-per-app` (default a quarter of --max-instances)',
      { details: { issues: issues.map((i) => ({ path: i.path, message: `minInstances ${i.message}: the app may keep at most ${cap} instances warm` })), limit: cap } },
    );
  }

  /** Re-read one app from the store and swap its functions in the active set (and, given `swap`, its traffic splits in the same tick). */
  private async reloadApp(app: string, swap?: () => void): Promise<void> {
    const now = await this.store.listFunctions(app);
    swap?.();
    const before = [...this.active.values()].filter((f) => f.app === app);
    for (const f of before) if (!now.some((n) => n.name === f.name)) this.active.delete(key(app, f.name));
    for (const f of now) this.active.set(key(app, f.name), f.active);
    this.listener.changed(this.active.values());
    for (const f of before) if (!now.some((n) => n.name === f.name)) this.traffic.drop(app, f.name);
    for (const f of before) if (!now.some((n) => n.name === f.name)) this.listener.deactivate(app, f.name);
    // Activate first: a promoted canary version keeps its warm instances (it was serving already),
    // then the versions that no longer take traffic drain.
    for (const f of now) this.listener.activate(f.active);
    for (const f of now) this.syncServing(app, f.name);
  }

  /** Tell the runtime which versions of the function besides the active one take traffic. */
  private syncServing(app: string, name: string): void {
    this.listener.serving?.(app, name, this.traffic.versionsOf(app, name));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }
}

/**
 * The function's config with the app-level settings a version must remember (namespace, stage,
 * shared resources) set from the spec, whatever the client put there.
 */
function appLevel(spec: AppSpec, own: FunctionConfig): FunctionConfig {
  const { routes: _r, stage: _s, shared: _sh, ...config } = own;
  return {
    ...config,
    ...(spec.routes && (spec.routes.host !== undefined || spec.routes.basePath !== undefined) ? { routes: spec.routes } : {}),
    ...(spec.stage !== undefined ? { stage: spec.stage } : {}),
    ...(spec.shared ? { shared: spec.shared } : {}),
  };
}

function key(app: string, name: string): string {
  return `${app}/${name}`;
}

function notFound(app: string, name: string): NimbusError {
  return new NimbusError('FUNCTION_NOT_FOUND', `no function ${app}/${name} is deployed; see \`nimbus ls\``);
}

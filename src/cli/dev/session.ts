/**
 * A `nimbus dev` session: an embedded node, the app deployed to it, and a watcher that redeploys
 * on every save.
 *
 * A reload's life: saved (chokidar event; paths collected) → settling (DEBOUNCE_MS of quiet, so an
 * editor's burst of writes is one reload) → building (only functions that read a changed file;
 * `.env.dev` changes set secrets) → deploying (the node's one deploy path; an unchanged function
 * keeps its version, a changed one gets a new version and the gateway swaps its route table in one
 * step while the old instances drain, so no request fails) → idle. Saves during a reload are
 * collected and start one more reload when it ends. A manifest or build error is printed and
 * nothing is deployed: the previous version keeps serving.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { NimbusClient } from '../../client/client.js';
import type { DeployDirResult } from '../../client/deploy.js';
import type { HttpTrigger } from '../../domain/index.js';
import type { NimbusOptions, RunningNimbus } from '../../server/options.js';
import { toNimbusError } from '../../shared/errors.js';
import { formatError } from '../output.js';
import { deploySummary, routesOf } from '../commands/deploy.js';
import { curlLine } from '../commands/up.js';
import { AppBuilder } from './builder.js';
import { ENV_DEV_FILE, readEnvDev } from './env-file.js';
import { devObserver } from './printer.js';

/** Quiet time after the last save before a reload starts. */
export const DEBOUNCE_MS = 40;

export interface DevOptions {
  dir: string;
  /** Keep the node's data here; unset: a temporary dir, removed on close. */
  dataDir?: string | undefined;
  node: Omit<NimbusOptions, 'dataDir' | 'observe' | 'log'>;
  /** stdout lines (invocations, logs, reloads) and stderr lines (errors, the node's own log). */
  out: (line: string) => void;
  err: (line: string) => void;
  color: boolean;
  formatRoute: (t: HttpTrigger) => string;
}

export class DevSession {
  private node: RunningNimbus | undefined;
  private client: NimbusClient | undefined;
  private watcher: FSWatcher | undefined;
  private readonly builder: AppBuilder;
  private readonly changed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private firstChangeAt = 0;
  /** The secrets this session set, by name, so a changed `.env.dev` sets only what changed. */
  private secretsSet = new Map<string, string>();
  private secretsApp: string | undefined;
  private routesShown: string | undefined;
  private deployedOnce = false;
  private tempDir: string | undefined;
  private closed = false;

  constructor(private readonly o: DevOptions) {
    this.builder = new AppBuilder(resolve(o.dir));
  }

  /** Where the node keeps its data (a temporary dir unless --data-dir). */
  get dataDir(): string {
    return this.o.dataDir ?? this.tempDir ?? '';
  }

  get urls(): { gatewayUrl: string; adminUrl: string; adminKeyFile: string } {
    const n = this.node!;
    return { gatewayUrl: n.gatewayUrl, adminUrl: n.adminUrl, adminKeyFile: n.adminKeyFile };
  }

  /** Start the node, deploy the app (a broken app is reported, not fatal) and start watching. */
  async start(): Promise<void> {
    const { startNimbus } = await import('../../server/index.js');
    const dataDir = this.o.dataDir ?? (this.tempDir = await mkdtemp(join(tmpdir(), 'nimbus-dev-')));
    try {
      this.node = await startNimbus({ ...this.o.node, dataDir, observe: devObserver(this.o.out, this.o.color), log: (l) => this.o.err(l) });
    } catch (err) {
      if (this.tempDir !== undefined) await rm(this.tempDir, { recursive: true, force: true });
      throw err;
    }
    this.client = new NimbusClient({ url: this.node.adminUrl, key: this.node.adminKey });
    const dir = this.builder.dir;
    this.o.out(`Nimbus dev: ${dir}`);
    this.o.out(`  gateway      ${this.node.gatewayUrl}`);
    this.o.out(`  control API  ${this.node.adminUrl}`);
    this.o.out(`  admin key    ${this.node.adminKeyFile}${this.tempDir === undefined ? '' : ' (temporary: removed on exit)'}`);
    this.o.out('');
    await this.reload(undefined);
    this.watcher = watch(dir, {
      ignoreInitial: true,
      // Dependencies change by `npm install`, which a save loop should not chase; data dirs churn.
      ignored: (path) => /(^|[/\\])(node_modules|\.git|\.nimbus)([/\\]|$)/.test(relative(dir, path)),
    });
    // Imports from outside the app folder (a shared ../lib) are watched one by one.
    this.watchOutside();
    for (const event of ['add', 'change', 'unlink'] as const) this.watcher.on(event, (path: string) => this.saved(resolve(dir, path)));
    this.watcher.on('error', (err: unknown) => this.o.err(`watch: ${(err as Error).message}`));
    await new Promise<void>((ready) => this.watcher!.once('ready', ready));
    this.o.out(`Watching ${dir} for changes. Press Ctrl-C to stop.`);
  }

  /** Stop watching, stop the node, remove a temporary data dir. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.watcher?.close();
    await this.running?.catch(() => {});
    await this.node?.close();
    if (this.tempDir !== undefined) await rm(this.tempDir, { recursive: true, force: true });
  }

  private saved(file: string): void {
    if (this.closed) return;
    if (this.changed.size === 0) this.firstChangeAt = performance.now();
    this.changed.add(file);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), DEBOUNCE_MS);
  }

  /** One reload at a time; saves made meanwhile start another when it ends. */
  private kick(): void {
    if (this.running !== undefined || this.changed.size === 0 || this.closed) return;
    const batch = new Set(this.changed);
    this.changed.clear();
    this.running = this.reload(batch).finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  private async reload(changed: Set<string> | undefined): Promise<void> {
    const started = changed === undefined ? performance.now() : this.firstChangeAt;
    const envFile = join(this.builder.dir, ENV_DEV_FILE);
    try {
      const envChanged = changed?.has(envFile) === true;
      const relevant = changed === undefined || [...changed].some((f) => this.builder.concerns(f));
      if (envChanged && this.secretsApp !== undefined && !relevant) {
        await this.syncSecrets(this.secretsApp);
        this.o.out(`${ENV_DEV_FILE} changed: secrets set; instances that use them restart`);
        return;
      }
      if (!relevant) return;
      const built = await this.builder.build(changed);
      if (built === undefined) return;
      await this.syncSecrets(built.spec.app);
      const result = await this.client!.deployApp(built.spec.app, built.spec, built.bundles);
      this.watchOutside();
      this.report({ ...result, spec: built.spec }, built.rebuilt, performance.now() - started, changed === undefined);
    } catch (err) {
      const e = toNimbusError(err);
      this.o.err(formatError(e));
      if (this.deployedOnce) this.o.err('the previous version keeps serving; save again once it is fixed');
    }
  }

  /** Set the secrets of `.env.dev` that changed since the last call; values are never printed. */
  private async syncSecrets(app: string): Promise<void> {
    const wanted = await readEnvDev(join(this.builder.dir, ENV_DEV_FILE));
    if (app !== this.secretsApp) this.secretsSet = new Map();
    this.secretsApp = app;
    for (const [name, value] of Object.entries(wanted)) {
      if (this.secretsSet.get(name) === value) continue;
      await this.client!.setSecret(app, name, value);
      this.secretsSet.set(name, value);
    }
    for (const name of [...this.secretsSet.keys()]) {
      if (name in wanted) continue;
      await this.client!.deleteSecret(app, name);
      this.secretsSet.delete(name);
    }
  }

  private report(result: DeployDirResult, rebuilt: string[], ms: number, atStart: boolean): void {
    const first = !this.deployedOnce;
    this.deployedOnce = true;
    const routes = JSON.stringify(routesOf(result));
    if (first || routes !== this.routesShown) {
      this.routesShown = routes;
      for (const line of deploySummary(result, this.o.formatRoute)) this.o.out(line);
      const [route] = routesOf(result);
      if (first && route !== undefined) this.o.out(`Try it: ${curlLine(this.node!.gatewayUrl, route.trigger)}`);
      this.o.out('');
      if (atStart) return;
    }
    const created = result.functions.filter((f) => f.created).map((f) => `${f.name} v${f.version}`);
    const what = created.length > 0 ? `deployed ${created.join(', ')}` : `no change (rebuilt ${rebuilt.join(', ') || 'nothing'})`;
    this.o.out(`reloaded in ${Math.round(ms)} ms: ${what}${result.removed.length > 0 ? `; removed ${result.removed.join(', ')}` : ''}`);
  }

  private watchOutside(): void {
    if (this.watcher === undefined) return;
    const outside = this.builder.files().filter((f) => relative(this.builder.dir, f).startsWith('..') && !/[/\\]node_modules[/\\]/.test(f));
    if (outside.length > 0) this.watcher.add(outside);
  }
}

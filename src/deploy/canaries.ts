/**
 * Canary deploys (`nimbus deploy --canary 10% --for 5m`): starting one after its versions are
 * stored, ending it (promotion or rollback, under the deploy lock), resuming it after a restart,
 * and its status. The decision of when is canary.ts's; the timers and counts canary-runner.ts's.
 *
 * One canary per app at a time: a deploy of the app while one runs is refused (CANARY_IN_PROGRESS),
 * so a deploy never lands on versions whose fate is still open; `nimbus deploy --abort` ends it.
 * Only functions whose version changed take part; new functions are active at once, and the new
 * versions' triggers (routes, schedules) apply once they are promoted: until then they serve a
 * share of the traffic of the old versions' routes and events.
 *
 * In a cluster (a shared store) the node that started a canary runs its timer and counts; the
 * others route its share from the stored row. Any node takes `--abort` (the starting node drops
 * its timer when it reads the ended row), and a canary still running 30 s past its window (its
 * node died) is rolled back by whichever node sweeps first (`endOrphans`).
 */
import type { CanaryFunction, CanaryRecord, FunctionVersion, InvocationRecord } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import type { DeployAppResult } from '../store/index.js';
import { formatDuration } from './canary.js';
import type { CanaryRunner } from './canary-runner.js';
import { auditByNode, type TrafficHost } from './host.js';
import type { Split } from './traffic.js';

export interface CanaryOptions {
  weight: number;
  durationMs: number;
  maxErrorRate: number;
}

/** A canary as `nimbus deploy --status` shows it. */
export type CanaryView = CanaryRecord & { elapsedMs: number; remainingMs: number };

/** How long past its window another node's stored canary still refuses deploys (its node ends it by then). */
const STALE_CANARY_MS = 30_000;

export class Canaries {
  /** The counts last stored per app (checkpoint writes only what changed). */
  private readonly checkpointed = new Map<string, string>();

  constructor(
    private readonly host: TrafficHost,
    private readonly runner: CanaryRunner,
  ) {}

  /**
   * CANARY_IN_PROGRESS while the app (or, given, that function of it) is in a running canary: one
   * this node runs, or (in a cluster) one another node started, as its stored row says.
   */
  async refuseWhileRunning(app: string, fn?: string): Promise<void> {
    const stored = this.runner.get(app) ? undefined : await this.host.store.getCanary(app);
    // A stored canary past its window is not waited for: the node running it may have died (the
    // next node to start resumes and ends it), and a deploy must not stay refused meanwhile.
    const c = this.runner.get(app) ?? (stored?.state === 'running' && stored.endsAt + STALE_CANARY_MS > this.host.clock.now() ? stored : undefined);
    if (!c || (fn !== undefined && !c.functions.some((f) => f.name === fn))) return;
    const left = formatDuration(Math.max(0, Math.ceil((c.endsAt - this.host.clock.now()) / 1000) * 1000));
    throw new NimbusError(
      'CANARY_IN_PROGRESS',
      `app "${app}" has a canary deploy running (${c.weight}% on ${c.functions.map((f) => `${f.name} v${f.to}`).join(', ')}, ${left} left): ` +
        'wait for it to be promoted or rolled back (`nimbus deploy --status`), or end it with `nimbus deploy --abort`',
      { details: { app, endsAt: c.endsAt } },
    );
  }

  /**
   * Start a canary over the functions of `result` that got a new version (`before`: the active
   * versions before the deploy). Undefined when no function changed (nothing to shift).
   */
  async start(app: string, result: DeployAppResult, before: Map<string, FunctionVersion>, o: CanaryOptions): Promise<CanaryRecord | undefined> {
    const functions: CanaryFunction[] = [];
    for (const f of result.functions) {
      const old = before.get(f.name);
      const next = f.created && old ? await this.host.store.getVersion(app, f.name, f.version) : undefined;
      if (!old || !next) continue;
      functions.push({ name: f.name, from: old.version, to: next.version, old: { requests: 0, errors: 0 }, new: { requests: 0, errors: 0 } });
      this.host.traffic.setCanary(app, f.name, { first: old, second: next, weight: o.weight });
    }
    if (functions.length === 0) return undefined;
    const now = this.host.clock.now();
    const record: CanaryRecord = { app, state: 'running', weight: o.weight, startedAt: now, endsAt: now + o.durationMs, maxErrorRate: o.maxErrorRate, functions, reason: null, finishedAt: null };
    await this.host.store.saveCanary(record);
    await auditByNode(this.host, 'canary.start', app, `${shifts(record)}: ${o.weight}% for ${formatDuration(o.durationMs)}, max error rate +${o.maxErrorRate}%`);
    this.runner.track(record);
    return record;
  }

  /**
   * Resume the canaries that were running when the node stopped (server start); overdue ones end at
   * once. On a shared store (`shared`) the node only routes their share: the node that started one
   * may still run it, and one whose node died is ended by `endOrphans`.
   */
  async resume(shared = false): Promise<void> {
    for (const c of await this.host.store.runningCanaries()) {
      for (const f of c.functions) {
        const old = await this.host.store.getVersion(c.app, f.name, f.from);
        const next = await this.host.store.getVersion(c.app, f.name, f.to);
        if (old && next) this.host.traffic.setCanary(c.app, f.name, { first: old, second: next, weight: c.weight });
      }
      if (shared) continue;
      this.host.log(`canary of app "${c.app}" resumed (${shifts(c)}) with the counts it last stored`);
      this.checkpointed.set(c.app, JSON.stringify(c.functions));
      this.runner.track(c);
    }
  }

  /**
   * Store the counts of the canaries this node runs that changed since the last call (every few
   * seconds): a restart resumes them, and other nodes' `--status` shows them. Only a row that is
   * still that running canary is written (Store.checkpointCanary).
   */
  async checkpoint(): Promise<void> {
    for (const c of this.runner.all()) {
      const counts = JSON.stringify(c.functions);
      if (this.checkpointed.get(c.app) === counts) continue;
      if (await this.host.store.checkpointCanary(c)) this.checkpointed.set(c.app, counts);
    }
    for (const app of this.checkpointed.keys()) if (!this.runner.isRunning(app)) this.checkpointed.delete(app);
  }

  /**
   * Cluster: roll back every stored canary still running 30 s past its window that this node does
   * not run: the node that started it died before deciding (it ends its own at the window's end).
   * Rolling back twice (two nodes sweeping at once) leaves the same outcome.
   */
  async endOrphans(): Promise<void> {
    const now = this.host.clock.now();
    for (const c of await this.host.store.runningCanaries()) {
      if (this.runner.isRunning(c.app) || c.endsAt + STALE_CANARY_MS > now) continue;
      await this.host.serial(async () => {
        const stored = await this.host.store.getCanary(c.app);
        if (stored?.state !== 'running' || stored.startedAt !== c.startedAt || this.runner.isRunning(c.app)) return;
        await this.finish(c.app, 'rollback', 'the node running it stopped before its window ended; rolled back by another node (a canary is never promoted without the node that counted it)', stored);
      });
    }
  }

  /**
   * The store says the app's canary is no longer the one this node runs (another node aborted or
   * ended it, or a new one started): stop its timer without ending it again. Under the deploy lock.
   */
  async dropEndedElsewhere(app: string): Promise<void> {
    const mine = this.runner.get(app);
    if (!mine) return;
    const stored = await this.host.store.getCanary(app);
    if (stored?.state === 'running' && stored.startedAt === mine.startedAt) return;
    this.runner.untrack(app);
    this.host.log(`canary of app "${app}" was ${stored?.state === 'running' ? 'replaced' : `ended on another node (${stored?.state ?? 'app deleted'})`}; this node stopped its timer`);
  }

  /**
   * The app's running canary as the store has it, as splits, read only (another node started or
   * ended it: Deployments.refresh swaps them in). The node that started a canary keeps its timer
   * and decides its end; the others only route its share.
   */
  async read(app: string): Promise<Array<{ fn: string; split: Split }>> {
    const c = await this.host.store.getCanary(app);
    if (!c || c.state !== 'running') return [];
    const out: Array<{ fn: string; split: Split }> = [];
    for (const f of c.functions) {
      const old = await this.host.store.getVersion(app, f.name, f.from);
      const next = await this.host.store.getVersion(app, f.name, f.to);
      if (old && next) out.push({ fn: f.name, split: { first: old, second: next, weight: c.weight } });
    }
    return out;
  }

  /** The runner decided: promote or roll back under the deploy lock. */
  end(app: string, action: 'promote' | 'rollback', reason: string): void {
    this.host.serial(() => this.finish(app, action, reason)).catch((err: unknown) => this.host.log(`canary of app "${app}": ${action} failed: ${(err as Error).message}`));
  }

  /**
   * `nimbus deploy --abort`: roll the running canary back now, from any node of a cluster (one this
   * node does not run is ended from its stored row; the node running it drops its timer on refresh).
   */
  abort(app: string): Promise<CanaryRecord> {
    return this.host.serial(async () => {
      const stored = this.runner.isRunning(app) ? undefined : await this.host.store.getCanary(app);
      if (!this.runner.isRunning(app) && stored?.state !== 'running') throw new NimbusError('CANARY_NOT_FOUND', `app "${app}" has no canary deploy running; see \`nimbus deploy --status\``);
      const done = await this.finish(app, 'rollback', 'aborted by a user (nimbus deploy --abort)', stored);
      if (!done) throw new NimbusError('CANARY_NOT_FOUND', `app "${app}" has no canary deploy running (another node just ended it); see \`nimbus deploy --status\``);
      return done;
    });
  }

  /** The app's running canary with its counts, else its last one; CANARY_NOT_FOUND when it never had one. */
  async status(app: string): Promise<CanaryView> {
    const c = this.runner.get(app) ?? (await this.host.store.getCanary(app));
    if (!c) throw new NimbusError('CANARY_NOT_FOUND', `app "${app}" has had no canary deploy; start one with \`nimbus deploy --canary 10% --for 5m\``);
    const end = c.finishedAt ?? this.host.clock.now();
    return { ...c, elapsedMs: Math.max(0, end - c.startedAt), remainingMs: c.state === 'running' ? Math.max(0, c.endsAt - end) : 0 };
  }

  observe(r: InvocationRecord): void {
    this.runner.observe(r);
  }

  /** The app was deleted (its canary row went with it). */
  forget(app: string): void {
    for (const f of this.runner.untrack(app)?.functions ?? []) this.host.traffic.setCanary(app, f.name, undefined);
  }

  close(): void {
    this.runner.close();
  }

  /** End the canary this node runs, or (given) one another node started, from its stored row. */
  private async finish(app: string, action: 'promote' | 'rollback', why: string, stored?: CanaryRecord): Promise<CanaryRecord | undefined> {
    const own = this.runner.untrack(app);
    const c = own ?? stored;
    if (!c) return undefined;
    if (own) {
      // Another node may have ended it (an abort) before this node read the change: leave it be.
      const now = await this.host.store.getCanary(app);
      if (now?.state !== 'running' || now.startedAt !== own.startedAt) {
        this.host.log(`canary of app "${app}" was already ended on another node (${now?.state ?? 'app deleted'}); not ${action === 'promote' ? 'promoted' : 'rolled back'} again`);
        await this.host.reloadApp(app);
        return undefined;
      }
    }
    let reason = why;
    let promote = action === 'promote';
    if (promote) {
      // Another app may have claimed one of the new versions' routes while they were not active.
      const next = await Promise.all(c.functions.map((f) => this.host.store.getVersion(app, f.name, f.to)));
      try {
        this.host.checkRoutes(
          app,
          next.filter((v): v is FunctionVersion => v !== undefined),
        );
      } catch (err) {
        promote = false;
        reason = `the new versions cannot be promoted: ${(err as Error).message}`;
      }
    }
    for (const f of c.functions) {
      this.host.traffic.setCanary(app, f.name, undefined);
      if (!promote) continue;
      // A function deleted during the canary has nothing left to promote.
      await this.host.store.setActiveVersion(app, f.name, f.to).catch((err: unknown) => this.host.log(`canary of app "${app}": ${f.name} v${f.to} not promoted: ${(err as Error).message}`));
    }
    const done: CanaryRecord = { ...c, state: promote ? 'promoted' : 'rolled-back', reason, finishedAt: this.host.clock.now() };
    await this.host.store.saveCanary(done).catch((err: unknown) => this.host.log(`canary of app "${app}": its outcome could not be stored: ${(err as Error).message}`));
    await auditByNode(this.host, promote ? 'canary.promote' : 'canary.rollback', app, `${shifts(c)}: ${reason}`);
    this.host.log(`canary of app "${app}" ${promote ? 'promoted' : 'rolled back'}: ${reason}`);
    await this.host.reloadApp(app);
    this.host.published(app);
    return done;
  }
}

function shifts(c: CanaryRecord): string {
  return c.functions.map((f) => `${f.name} v${f.from}→v${f.to}`).join(', ');
}

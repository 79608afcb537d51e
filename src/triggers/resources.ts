/**
 * Named resources: topics, buckets and KV namespaces are global on a node and owned by the app
 * that names them (in a trigger, a binding or a destination). Ownership is derived from the active
 * versions in memory, so it needs no table and cannot drift from what is deployed: a deploy that
 * names a resource another app names is refused (RESOURCE_CONFLICT), and a resource exists exactly
 * while some deployed function names it.
 */
import type { BucketTrigger, FunctionConfig, FunctionVersion, TopicTrigger } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import { ownedBy } from './sources/kinds.js';
import type { ResourceKind } from './sources/port.js';

export type { ResourceKind } from './sources/port.js';
export type ResourceUse = 'trigger' | 'binding' | 'destination';

export interface ResourceName {
  kind: ResourceKind;
  name: string;
  via: ResourceUse;
}

type ConfigPart = Pick<FunctionConfig, 'triggers' | 'bindings' | 'destinations'>;

/** Every topic, bucket, KV namespace and email address a function's config names. */
export function resourcesOf(config: ConfigPart): ResourceName[] {
  const out: ResourceName[] = [];
  // What a trigger owns is its source's to say (src/triggers/sources/<kind>/kind.ts).
  for (const t of config.triggers) for (const r of ownedBy(t)) out.push({ ...r, via: 'trigger' });
  for (const b of Object.values(config.bindings ?? {})) {
    if (b.type === 'kv') out.push({ kind: 'kv', name: b.kv, via: 'binding' });
    else if (b.type === 'bucket') out.push({ kind: 'bucket', name: b.bucket, via: 'binding' });
    else out.push({ kind: 'topic', name: b.topic, via: 'binding' });
  }
  for (const d of [config.destinations?.onSuccess, config.destinations?.onFailure]) {
    if (d && 'topic' in d) out.push({ kind: 'topic', name: d.topic, via: 'destination' });
  }
  return out;
}

export interface DeployInput {
  name: string;
  config: FunctionConfig;
}

/**
 * Deploy-time check (called by `Deployments` before anything is stored): a topic, bucket or KV
 * namespace named by `app` but owned by another app → RESOURCE_CONFLICT, unless both are stages of
 * one app (`<app>` and `<app>-<stage>`) and both declare the name `shared`. Webhook paths are
 * routes: deploy/conflicts.ts checks them. `wholeApp`: the inputs replace every function of the
 * app (a deploy); otherwise only the named ones (a rollback), and the app's other functions stay.
 */
export function checkResourceConflicts(app: string, inputs: readonly DeployInput[], active: Iterable<FunctionVersion>, wholeApp = true): void {
  const replaced = new Set(inputs.map((i) => i.name));
  const owners = new Map<string, FunctionVersion>();
  const kept: DeployInput[] = [];
  for (const fn of active) {
    if (fn.app === app && (wholeApp || replaced.has(fn.name))) continue;
    if (fn.app === app) {
      kept.push(fn);
      continue;
    }
    for (const r of resourcesOf(fn.config)) if (!owners.has(`${r.kind}:${r.name}`)) owners.set(`${r.kind}:${r.name}`, fn);
  }
  checkExclusive(app, [...inputs, ...kept]);
  for (const input of inputs) {
    for (const r of resourcesOf(input.config)) {
      const owner = owners.get(`${r.kind}:${r.name}`);
      if (!owner || sharedBetween(r, { app, config: input.config }, owner)) continue;
      const label = LABEL[r.kind];
      throw new NimbusError(
        'RESOURCE_CONFLICT',
        `${label} "${r.name}" (named by ${app}/${input.name} in a ${r.via}) belongs to app "${owner.app}" (${owner.app}/${owner.name} names it); ` +
          `${label} names are global on a node: choose another name, or remove it from "${owner.app}" first`,
        { details: { kind: r.kind, name: r.name, function: `${app}/${input.name}`, ownedBy: owner.app } },
      );
    }
  }
}

/** Kinds one function owns alone, even within its app (a topic or bucket may feed several). */
const EXCLUSIVE: ReadonlySet<ResourceKind> = new Set(['email']);

/** An email address claimed by two functions of one app would go to whichever sorts first: refused. */
function checkExclusive(app: string, fns: readonly DeployInput[]): void {
  const claimed = new Map<string, string>();
  for (const fn of fns) {
    for (const r of resourcesOf(fn.config)) {
      if (!EXCLUSIVE.has(r.kind)) continue;
      const first = claimed.get(`${r.kind}:${r.name}`);
      if (first === undefined) claimed.set(`${r.kind}:${r.name}`, fn.name);
      else if (first !== fn.name)
        throw new NimbusError('RESOURCE_CONFLICT', `${LABEL[r.kind]} "${r.name}" is claimed by both ${app}/${first} and ${app}/${fn.name}: one function per address`, {
          details: { kind: r.kind, name: r.name, function: `${app}/${fn.name}`, ownedBy: app },
        });
    }
  }
}

const LABEL: Record<ResourceKind, string> = { topic: 'topic', bucket: 'bucket', kv: 'KV namespace', email: 'email address' };
// Stages may share topics, buckets and KV namespaces, never an email address.
const SHARED_KEY = { topic: 'topics', bucket: 'buckets', kv: 'kv', email: undefined } as const;

/** The app a stage copy was made from: `shop-staging` of stage `staging` → `shop`. */
export function baseApp(app: string, config: Pick<FunctionConfig, 'stage'>): string {
  return config.stage !== undefined && app.endsWith(`-${config.stage}`) ? app.slice(0, -(config.stage.length + 1)) : app;
}

/** Whether two stages of one app both declare the resource shared. */
function sharedBetween(r: ResourceName, a: { app: string; config: FunctionConfig }, b: { app: string; config: FunctionConfig }): boolean {
  if (baseApp(a.app, a.config) !== baseApp(b.app, b.config)) return false;
  const key = SHARED_KEY[r.kind];
  if (key === undefined) return false;
  return (a.config.shared?.[key]?.includes(r.name) ?? false) && (b.config.shared?.[key]?.includes(r.name) ?? false);
}

export interface Subscription<T> {
  fn: FunctionVersion;
  trigger: T;
}

export interface ResourceEntry<T> {
  /** The app that names the resource. */
  app: string;
  /** Functions with a trigger on it (fan-out targets), in app/function order. */
  subscribers: Subscription<T>[];
}

export interface ResourcesOptions {
  /**
   * A name no deployed function names any more (its app was deleted or stopped naming it): the
   * resource ceases to exist, so its data goes (the next app to claim the name starts empty).
   * Not called for the first set (start-up), only for changes after it.
   */
  released?: (r: { kind: ResourceKind; name: string; app: string }) => void;
}

/**
 * The resources of the active versions: who owns each topic, bucket and KV namespace and which
 * functions subscribe. Rebuilt whole on every change of the deployed set (`setFunctions`).
 */
export class Resources {
  private topicMap = new Map<string, ResourceEntry<TopicTrigger>>();
  private bucketMap = new Map<string, ResourceEntry<BucketTrigger>>();
  private kvMap = new Map<string, string>();
  private initialized = false;

  constructor(private readonly o: ResourcesOptions = {}) {}

  setFunctions(active: Iterable<FunctionVersion>): void {
    const topics = new Map<string, ResourceEntry<TopicTrigger>>();
    const buckets = new Map<string, ResourceEntry<BucketTrigger>>();
    const kv = new Map<string, string>();
    const fns = [...active].sort((a, b) => (a.app === b.app ? cmp(a.name, b.name) : cmp(a.app, b.app)));
    for (const fn of fns) {
      for (const r of resourcesOf(fn.config)) {
        if (r.kind === 'kv') kv.set(r.name, kv.get(r.name) ?? fn.app);
        else if (r.kind === 'topic' && !topics.has(r.name)) topics.set(r.name, { app: fn.app, subscribers: [] });
        else if (r.kind === 'bucket' && !buckets.has(r.name)) buckets.set(r.name, { app: fn.app, subscribers: [] });
      }
      for (const trigger of fn.config.triggers) {
        if (trigger.type === 'topic') topics.get(trigger.topic)?.subscribers.push({ fn, trigger });
        else if (trigger.type === 'bucket') buckets.get(trigger.bucket)?.subscribers.push({ fn, trigger });
      }
    }
    const released: Array<{ kind: ResourceKind; name: string; app: string }> = [];
    if (this.initialized) {
      for (const [name, e] of this.topicMap) if (topics.get(name)?.app !== e.app) released.push({ kind: 'topic', name, app: e.app });
      for (const [name, e] of this.bucketMap) if (buckets.get(name)?.app !== e.app) released.push({ kind: 'bucket', name, app: e.app });
      for (const [name, app] of this.kvMap) if (kv.get(name) !== app) released.push({ kind: 'kv', name, app });
    }
    this.topicMap = topics;
    this.bucketMap = buckets;
    this.kvMap = kv;
    this.initialized = true;
    for (const r of released) this.o.released?.(r);
  }

  topic(name: string): ResourceEntry<TopicTrigger> | undefined {
    return this.topicMap.get(name);
  }

  bucket(name: string): ResourceEntry<BucketTrigger> | undefined {
    return this.bucketMap.get(name);
  }

  /** The app owning a KV namespace, if any deployed function names it. */
  kvOwner(name: string): string | undefined {
    return this.kvMap.get(name);
  }

  /** Sorted by name. */
  topics(): Array<[string, ResourceEntry<TopicTrigger>]> {
    return [...this.topicMap].sort(([a], [b]) => cmp(a, b));
  }

  buckets(): Array<[string, ResourceEntry<BucketTrigger>]> {
    return [...this.bucketMap].sort(([a], [b]) => cmp(a, b));
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

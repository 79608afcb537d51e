/**
 * Which version serves an invocation when traffic is split: aliases (a name → a version, with an
 * optional second version taking a share) and canary deploys (the new version of a function takes
 * a share of the traffic its active version gets). Held in memory and answered synchronously: the
 * gateway asks once per request. Deployments keeps it in step with the store.
 *
 * The pick is random with the weight (no sticky sessions, as Lambda's weighted aliases): over
 * 1,000 requests a 10 % weight lands within a few percent of 10 %. The random source is injected
 * so tests are deterministic.
 */
import type { FunctionVersion } from '../domain/index.js';

/** A number in [0, 1), as Math.random. */
export type Random = () => number;

/** One version, or two with `weight` % of the picks going to `second`. */
export interface Split {
  first: FunctionVersion;
  second: FunctionVersion | null;
  /** 1–99: the percentage of picks that get `second`. */
  weight: number;
}

/** `second` for `weight` % of the calls, `first` for the rest. */
export function pickWeighted<T>(first: T, second: T, weight: number, random: Random): T {
  return random() * 100 < weight ? second : first;
}

export class Traffic {
  /** By `app/fn/alias`. */
  private readonly aliases = new Map<string, Split>();
  /** By `app/fn`: first = the active version, second = the canary's new version. */
  private readonly canaries = new Map<string, Split>();

  constructor(private readonly random: Random = Math.random) {}

  pick(split: Split): FunctionVersion {
    return split.second === null ? split.first : pickWeighted(split.first, split.second, split.weight, this.random);
  }

  setAlias(app: string, fn: string, name: string, split: Split | undefined): void {
    if (split) this.aliases.set(`${app}/${fn}/${name}`, split);
    else this.aliases.delete(`${app}/${fn}/${name}`);
  }

  setCanary(app: string, fn: string, split: Split | undefined): void {
    if (split) this.canaries.set(`${app}/${fn}`, split);
    else this.canaries.delete(`${app}/${fn}`);
  }

  /** The version the alias sends this invocation to (weighted pick included); undefined when there is no such alias. */
  alias(app: string, fn: string, name: string): FunctionVersion | undefined {
    const split = this.aliases.get(`${app}/${fn}/${name}`);
    return split && this.pick(split);
  }

  /** The version that serves an invocation meant for the active version `active`: itself, or a canary's share. */
  serve(active: FunctionVersion): FunctionVersion {
    const split = this.canaries.get(`${active.app}/${active.name}`);
    if (!split || split.first.version !== active.version) return active;
    return this.pick(split);
  }

  /** Every version of the function that some alias or canary sends traffic to. */
  versionsOf(app: string, fn: string): FunctionVersion[] {
    const out: FunctionVersion[] = [];
    const add = (v: FunctionVersion | null): void => {
      if (v && !out.some((o) => o.version === v.version)) out.push(v);
    };
    for (const [k, split] of this.aliases) {
      if (!k.startsWith(`${app}/${fn}/`) || k.slice(app.length + fn.length + 2).includes('/')) continue;
      add(split.first);
      add(split.second);
    }
    const canary = this.canaries.get(`${app}/${fn}`);
    if (canary) add(canary.second);
    return out;
  }

  /**
   * Replace every alias and canary split of the app at once (another node changed them: requests
   * see the old set or the new one, never none in between).
   */
  replaceApp(app: string, aliases: Array<{ fn: string; name: string; split: Split }>, canaries: Array<{ fn: string; split: Split }>): void {
    this.drop(app);
    for (const a of aliases) this.setAlias(app, a.fn, a.name, a.split);
    for (const c of canaries) this.setCanary(app, c.fn, c.split);
  }

  /** Forget the function's (or with `fn` undefined, the app's) aliases and canaries. */
  drop(app: string, fn?: string): void {
    const prefix = fn === undefined ? `${app}/` : `${app}/${fn}/`;
    for (const k of this.aliases.keys()) if (k.startsWith(prefix) && (fn !== undefined || k.split('/').length === 3)) this.aliases.delete(k);
    for (const k of this.canaries.keys()) if (fn === undefined ? k.startsWith(prefix) : k === `${app}/${fn}`) this.canaries.delete(k);
  }
}

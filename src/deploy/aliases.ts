/**
 * Aliases (`nimbus alias set|ls|rm`): a name of a function that points at one of its versions,
 * optionally with a second version taking a share of its traffic. Stored in the store, mirrored in
 * Traffic for the gateway's per-request pick. An alias is not moved by deploys or canaries: it
 * keeps serving the versions it names until it is set again.
 */
import type { AliasRecord } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import type { TrafficHost } from './host.js';
import type { Split } from './traffic.js';

export const ALIAS_NAME = /^[a-z][a-z0-9-]{0,62}$/;

export interface AliasInput {
  version: number;
  /** A second version and the percentage (1–99) of the alias's traffic it gets. */
  weighted?: { version: number; weight: number } | null;
}

export function aliasMissing(app: string, fn: string, name: string): NimbusError {
  return new NimbusError('ALIAS_NOT_FOUND', `${app}/${fn} has no alias "${name}": create it with \`nimbus alias set ${app}/${fn} ${name} --version N\``, {
    details: { app, function: fn, alias: name },
  });
}

export class AliasBook {
  constructor(private readonly host: TrafficHost) {}

  /** Mirror every stored alias (server start). */
  async load(): Promise<void> {
    for (const a of await this.host.store.listAliases()) await this.mirror(a);
  }

  /** The function's aliases by name (FUNCTION_NOT_FOUND when it does not exist). */
  async list(app: string, fn: string): Promise<AliasRecord[]> {
    await this.host.mustGet(app, fn);
    return this.host.store.listAliases(app, fn);
  }

  /** Create or move an alias; its versions get instances from the next request on. */
  set(app: string, fn: string, name: string, input: AliasInput): Promise<AliasRecord> {
    if (!ALIAS_NAME.test(name)) throw new NimbusError('BAD_REQUEST', `"${name}" is not an alias name: lower-case letters, digits and "-", starting with a letter, e.g. "live"`);
    const weighted = input.weighted ?? null;
    if (weighted && weighted.version === input.version) throw new NimbusError('BAD_REQUEST', `the weighted version must differ from the alias's version (both are ${input.version})`);
    if (weighted && (!Number.isInteger(weighted.weight) || weighted.weight < 1 || weighted.weight > 99))
      throw new NimbusError('BAD_REQUEST', `a weight is a whole percentage from 1 to 99; got ${weighted.weight}`);
    return this.host.serial(async () => {
      await this.host.mustGet(app, fn);
      const stored = await this.host.store.setAlias({ app, function: fn, name, version: input.version, weighted });
      await this.mirror(stored);
      this.host.syncServing(app, fn);
      this.host.published(app);
      return stored;
    });
  }

  /** ALIAS_NOT_FOUND when there is none; routes that name it answer ALIAS_NOT_FOUND from then on. */
  remove(app: string, fn: string, name: string): Promise<void> {
    return this.host.serial(async () => {
      await this.host.mustGet(app, fn);
      if (!(await this.host.store.deleteAlias(app, fn, name))) throw aliasMissing(app, fn, name);
      this.host.traffic.setAlias(app, fn, name, undefined);
      this.host.syncServing(app, fn);
      this.host.published(app);
    });
  }

  /** The app's stored aliases as splits, read only (Deployments.refresh swaps them in when another node changed them). */
  async read(app: string): Promise<Array<{ fn: string; name: string; split: Split }>> {
    const out: Array<{ fn: string; name: string; split: Split }> = [];
    for (const a of await this.host.store.listAliases(app)) {
      const split = await this.split(a);
      if (split) out.push({ fn: a.function, name: a.name, split });
    }
    return out;
  }

  private async mirror(a: AliasRecord): Promise<void> {
    const split = await this.split(a);
    if (split) this.host.traffic.setAlias(a.app, a.function, a.name, split);
  }

  private async split(a: AliasRecord): Promise<Split | undefined> {
    const first = await this.host.store.getVersion(a.app, a.function, a.version);
    const second = a.weighted ? await this.host.store.getVersion(a.app, a.function, a.weighted.version) : undefined;
    if (!first) return undefined;
    return { first, second: second ?? null, weight: a.weighted?.weight ?? 0 };
  }
}

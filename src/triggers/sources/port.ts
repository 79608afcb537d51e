/**
 * The trigger-source seam: everything that turns something outside a function (an HTTP request, a
 * cron tick, a topic message, an object write, an email) into invocations is a source. A source
 * has two halves, kept apart so the manifest can read the first without loading servers:
 *
 * - a `TriggerKindSpec` per manifest key (pure data, `<source>/kind.ts`): the key and the options
 *   only it accepts (they feed the manifest's one-of checks and JSON Schema), and the named
 *   resources a trigger of that kind owns (a topic, a bucket, an email address), which the deploy
 *   refuses to let two apps claim (RESOURCE_CONFLICT);
 * - a `TriggerSource` (`<source>/source.ts`), the running half, made by the composition root:
 *   `start()` once the node is ready (listeners), `setFunctions(list)` on every change of the
 *   deployed set (the whole set, replaced atomically), `close()` at shutdown (idempotent).
 *
 * Adding a source: a folder here with `kind.ts` (listed in `kinds.ts`) and `source.ts` (one line
 * in `src/server/index.ts`), and the shared contract suite (`contract.ts`) in its test.
 */
import type { FunctionVersion, Trigger } from '../../domain/index.js';

/** A resource kind that one app owns by name, node-wide. */
export type ResourceKind = 'topic' | 'bucket' | 'kv' | 'email';

/** What one trigger owns: the kind of resource and its name. */
export interface OwnedName {
  kind: ResourceKind;
  name: string;
}

/** The manifest side of a trigger kind: pure data, safe to import from the manifest. */
export interface TriggerKindSpec<T extends Trigger = Trigger> {
  /** The manifest key (`email:`), which is also the normalized trigger's `type`. */
  key: T['type'];
  /** Keys only this kind accepts beside its kind key, e.g. `batchSize` for `topic`. */
  options: readonly string[];
  /** The names a trigger of this kind owns (none for routes and schedules). */
  owns?(trigger: T): OwnedName[];
  /** The route it claims in its app's namespace (`path` before the base path), checked across apps at deploy. */
  route?(trigger: T): { method: string; path: string; declared: string };
  /** The trigger in a stage copy (`--stage`): resource names through `rename`. Default: unchanged. */
  staged?(trigger: T, rename: StageRename): T;
  /** How `nimbus ls` shows it, e.g. `topic:orders`; none for routes (listed as routes). */
  label?(trigger: T): string;
}

/** A resource name in a stage copy: prefixed with the stage unless the manifest shares it. */
export type StageRename = (kind: 'topics' | 'buckets' | 'kv', name: string) => string;

/** The running side of a source: one per node, made and wired by the composition root. */
export interface TriggerSource {
  /** For logs and the contract test. */
  readonly name: string;
  /** The trigger types it serves (`TriggerKindSpec.key`s). */
  readonly kinds: readonly Trigger['type'][];
  /** Start serving (bind a listener, arm timers). Called once, after the deployed set is known. */
  start(): Promise<void>;
  /** The whole set of active function versions, replacing the previous one. */
  setFunctions(functions: readonly FunctionVersion[]): void;
  /** Stop serving; idempotent, and safe without `start()`. */
  close(): Promise<void>;
}

/** A source whose running half belongs to another subsystem (the gateway, the scheduler). */
export function delegatingSource(name: string, kinds: readonly Trigger['type'][], target: { setFunctions(fns: Iterable<FunctionVersion>): void; close?(): Promise<void> }): TriggerSource {
  let closed: Promise<void> | undefined;
  return {
    name,
    kinds,
    start: () => Promise.resolve(),
    setFunctions: (fns) => target.setFunctions(fns),
    close: () => (closed ??= target.close ? target.close() : Promise.resolve()),
  };
}

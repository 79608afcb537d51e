/**
 * Stages: `nimbus deploy --stage staging` deploys a copy of the app as the separate app
 * `<app>-staging`, with its own versions, routes and resources:
 * - routes under `/<stage>` before the base path when the app claims no host, else on `<stage>.<host>`;
 * - every topic, bucket and KV namespace it names prefixed `<stage>-`, except those in `shared:`;
 * - `${stage}` in the manifest text replaced by the stage (by `prod` without `--stage`).
 */
import type { AppSpec, Binding, Destination, FunctionConfig } from '../domain/types.js';
import { stagedTrigger } from '../triggers/sources/kinds.js';
import { manifestError } from './issues.js';
import type { ManifestIssue } from './issues.js';
import { APP_NAME, RESOURCE_NAME } from './names.js';
import { STAGE_NAME, stageHost } from './namespace.js';

/** What `${stage}` becomes when no stage is given. */
export const DEFAULT_STAGE = 'prod';

/** Replace every `${stage}` of the manifest text (before it is parsed and validated). */
export function substituteStage(text: string, stage: string | undefined): string {
  return text.replaceAll('${stage}', stage ?? DEFAULT_STAGE);
}

/**
 * The stage copy of a validated spec.
 * @throws NimbusError MANIFEST_INVALID when the stage or a prefixed name is not a valid name.
 * @example stagedSpec(spec, 'staging').app // 'shop-staging'
 */
export function stagedSpec(spec: AppSpec, stage: string, file = 'nimbus.yaml'): AppSpec {
  checkStageName(stage, file);
  const issues: ManifestIssue[] = [];
  const app = `${spec.app}-${stage}`;
  if (!APP_NAME.test(app)) issues.push({ path: 'app', message: `the stage's app name "${app}" is longer than 63 characters: shorten the app or the stage name` });
  const shared = spec.shared ?? {};
  const rename = (kind: 'topics' | 'buckets' | 'kv', name: string): string => {
    if (shared[kind]?.includes(name)) return name;
    const prefixed = `${stage}-${name}`;
    if (!RESOURCE_NAME.test(prefixed)) issues.push({ path: '', message: `the stage's name "${prefixed}" for "${name}" is longer than 63 characters: shorten it or the stage name` });
    return prefixed;
  };
  const functions: Record<string, FunctionConfig> = {};
  for (const [name, config] of Object.entries(spec.functions)) functions[name] = stagedFunction(config, rename);
  if (issues.length > 0) throw manifestError(file, issues);
  const host = spec.routes?.host;
  const routes = host !== undefined ? { ...spec.routes, host: stageHost(host, stage) } : { basePath: `/${stage}${spec.routes?.basePath ?? ''}` };
  return { app, stage, routes, ...(spec.shared ? { shared: spec.shared } : {}), functions };
}

/** @throws NimbusError MANIFEST_INVALID when `stage` is not a stage name. */
export function checkStageName(stage: string, file = 'nimbus.yaml'): void {
  if (STAGE_NAME.test(stage)) return;
  throw manifestError(file, [{ path: '', message: `stage "${stage}" is not a stage name: 1-32 lower-case letters, digits and "-", starting with a letter and not ending with "-" (e.g. "staging")` }]);
}

type Rename = (kind: 'topics' | 'buckets' | 'kv', name: string) => string;

function stagedFunction(config: FunctionConfig, rename: Rename): FunctionConfig {
  // Each kind renames what it owns (src/triggers/sources/<kind>/kind.ts).
  const triggers = config.triggers.map((t) => stagedTrigger(t, rename));
  const bindings: Record<string, Binding> = {};
  for (const [name, b] of Object.entries(config.bindings)) {
    if (b.type === 'kv') bindings[name] = { ...b, kv: rename('kv', b.kv) };
    else if (b.type === 'bucket') bindings[name] = { ...b, bucket: rename('buckets', b.bucket) };
    else bindings[name] = { ...b, topic: rename('topics', b.topic) };
  }
  const destination = (d: Destination | null): Destination | null => (d !== null && 'topic' in d ? { topic: rename('topics', d.topic) } : d);
  return { ...config, triggers, bindings, destinations: { onSuccess: destination(config.destinations.onSuccess), onFailure: destination(config.destinations.onFailure) } };
}

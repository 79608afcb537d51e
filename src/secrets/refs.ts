/**
 * Which secrets an app's spec names: THE one place that knows where secret references can sit
 * (today `env: { X: { secret: name } }`, normalized into `FunctionConfig.secrets`; route auth adds
 * its own). The deploy check, `nimbus secret rm` and the runtime read it from here.
 */
import type { AppSpec, FunctionConfig } from '../domain/index.js';

/** One reference: which function names `secret`, and where (`env.DB_PASSWORD`). */
export interface SecretRef {
  secret: string;
  function: string;
  where: string;
}

/**
 * The references of one function's config. Add new places a config can name a secret (route auth)
 * HERE: `secretRefs`, `referencedSecrets`, the deploy check and `secret rm`'s in-use check all use it.
 */
export function functionSecretRefs(name: string, config: Pick<FunctionConfig, 'secrets' | 'triggers'>): SecretRef[] {
  return Object.entries(config.secrets ?? {}).map(([env, secret]) => ({ secret, function: name, where: `env.${env}` }));
}

/** Every secret reference of an app spec, in function order. */
export function secretRefs(spec: Pick<AppSpec, 'functions'>): SecretRef[] {
  return Object.entries(spec.functions).flatMap(([name, config]) => functionSecretRefs(name, config));
}

/** Every secret name an app spec references, once each, sorted. */
export function referencedSecrets(spec: Pick<AppSpec, 'functions'>): string[] {
  return [...new Set(secretRefs(spec).map((r) => r.secret))].sort();
}

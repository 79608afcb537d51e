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
  const refs = Object.entries(config.secrets ?? {}).map(([env, secret]) => ({ secret, function: name, where: `env.${env}` }));
  // Route auth: an API key, or the HMAC key of HS256 JWTs, read by the gateway on each request.
  for (const t of config.triggers) {
    if (t.type !== 'http' || t.auth === undefined) continue;
    const route = `http ${t.method} ${t.path}`;
    if (t.auth.type === 'apiKey') refs.push({ secret: t.auth.secret, function: name, where: `${route} auth.apiKey` });
    if (t.auth.type === 'jwt' && t.auth.secret !== undefined) refs.push({ secret: t.auth.secret, function: name, where: `${route} auth.jwt` });
  }
  return refs;
}

/** Every secret reference of an app spec, in function order. */
export function secretRefs(spec: Pick<AppSpec, 'functions'>): SecretRef[] {
  return Object.entries(spec.functions).flatMap(([name, config]) => functionSecretRefs(name, config));
}

/** Every secret name an app spec references, once each, sorted. */
export function referencedSecrets(spec: Pick<AppSpec, 'functions'>): string[] {
  return [...new Set(secretRefs(spec).map((r) => r.secret))].sort();
}

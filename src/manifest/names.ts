/**
 * Names the manifest gives things: the app, its functions, env variables, bindings and the
 * platform resources (topics, buckets, KV namespaces). Shared by the raw and normalized schemas.
 */
import { z } from 'zod';

export const APP_NAME = /^[a-z][a-z0-9-]{0,62}$/;
export const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const RESERVED_ENV_PREFIX = 'NIMBUS_';
/** Topics, buckets and KV namespaces: global on the server, owned by the first app naming them. */
export const RESOURCE_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;
/** A secret of an app (`nimbus secret set <app> NAME`, `env: { X: { secret: NAME } }`). */
export const SECRET_NAME = /^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/;
/** A binding is seen by the function as `env.<NAME>`, so it is named like a constant. */
export const BINDING_NAME = /^[A-Z_][A-Z0-9_]*$/;

export const appNameSchema = z
  .string()
  .regex(APP_NAME, {
    error: 'must be 1-63 characters of lower-case letters, digits and "-", starting with a letter (e.g. "shop")',
  })
  .describe('App name, unique on the server: lower-case letters, digits and "-", starting with a letter, at most 63.');

export const functionNameSchema = z.string().regex(FUNCTION_NAME, {
  error: 'function names start with a letter, then letters, digits, "-" or "_", at most 64 characters (e.g. "hello")',
});

const notReserved = (what: string) =>
  [(key: string) => !key.startsWith(RESERVED_ENV_PREFIX), { error: `names starting with ${RESERVED_ENV_PREFIX} are reserved for the platform: rename the ${what}` }] as const;

export const envKeySchema = z
  .string()
  .regex(ENV_KEY, { error: 'variable names hold letters, digits and "_", and do not start with a digit' })
  .refine(...notReserved('variable'));

export const secretNameSchema = z
  .string()
  .regex(SECRET_NAME, { error: 'secret names start with a letter, then letters, digits, "_" or "-", at most 64 characters (e.g. "db-password")' })
  .describe('Name of a secret of the app (`nimbus secret set <app> <name>`).');

export const bindingNameSchema = z
  .string()
  .regex(BINDING_NAME, {
    error: 'binding names hold upper-case letters, digits and "_", and do not start with a digit (e.g. "SESSIONS")',
  })
  .refine(...notReserved('binding'));

/** A topic, bucket or KV namespace name; `what` names it in the description. */
export function resourceNameSchema(what: string) {
  return z
    .string()
    .regex(RESOURCE_NAME, {
      error: 'must be 1-63 characters of lower-case letters, digits, "." and "-", starting with a letter or digit (e.g. "orders")',
    })
    .describe(`${what} name: lower-case letters, digits, "." and "-", starting with a letter or digit, at most 63.`);
}

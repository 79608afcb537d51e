/**
 * Mappings that are "exactly one of" several kinds, told apart by which key is present
 * (`{ topic: orders, batchSize: 10 }`, `{ kv: sessions }`, `{ function: audit }`): one flat strict
 * object per family, so every mistake is reported at its own key with a message naming the
 * kinds, rather than as an opaque "no union member matched".
 */
import type { z } from 'zod';
import { TRIGGER_KIND_SPECS } from '../triggers/sources/kinds.js';

/** A family of mappings: each kind key with the optional keys that only it accepts. */
export interface OneOf {
  /** How messages name one item, e.g. "a trigger". */
  what: string;
  /** The bare noun: "trigger". */
  noun: string;
  kinds: Record<string, readonly string[]>;
  example: string;
}

export const TRIGGER_KINDS: OneOf = {
  what: 'a trigger',
  noun: 'trigger',
  // Each trigger source declares its key and options (src/triggers/sources/<kind>/kind.ts).
  kinds: Object.fromEntries(TRIGGER_KIND_SPECS.map((k) => [k.key, k.options])),
  example: '{ http: "GET /hello" } or { topic: orders }',
};

export const DESTINATION_KINDS: OneOf = {
  what: 'a destination',
  noun: 'destination',
  kinds: { function: [], topic: [] },
  example: '{ function: audit } or { topic: failures }',
};

export const BINDING_KINDS: OneOf = {
  what: 'a binding',
  noun: 'binding',
  kinds: { kv: [], bucket: ['access'], topic: [] },
  example: '{ kv: sessions }, { bucket: uploads, access: read } or { topic: emails }',
};

/** `auth:` of an http trigger (or of `defaults`). */
export const AUTH_KINDS: OneOf = {
  what: 'an auth',
  noun: 'auth',
  kinds: { jwt: [], apiKey: [], function: ['ttl', 'identitySource'] },
  example: '{ jwt: { issuer, audience, jwks } }, { apiKey: { secret: my-key } } or { function: my-authorizer }',
};

/** Marks the "no kind key" issue, which an unknown-key issue on the same mapping supersedes. */
export const NO_KIND = 'noKind';

const list = (keys: readonly string[]): string => keys.join(', ');

/** The kind keys present in a raw mapping. */
export function kindsIn(family: OneOf, value: Record<string, unknown>): string[] {
  return Object.keys(family.kinds).filter((k) => value[k] !== undefined);
}

/** The keys a mapping of this kind may hold. */
export function keysOf(family: OneOf, kind: string): string[] {
  return [kind, ...(family.kinds[kind] ?? [])];
}

/** A zod superRefine: exactly one kind key, and no key that belongs to another kind. */
export function exactlyOne(family: OneOf) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const present = kindsIn(family, value);
    const kinds = Object.keys(family.kinds);
    if (present.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `${family.what} needs exactly one of ${list(kinds)}, e.g. ${family.example}`,
        params: { [NO_KIND]: true },
      });
      return;
    }
    const [kind = '', ...others] = present;
    for (const other of others) {
      ctx.addIssue({
        code: 'custom',
        path: [other],
        message: `${family.what} has exactly one of ${list(kinds)}, and this one also has "${kind}": make each its own item`,
        params: { atKey: true },
      });
    }
    if (others.length > 0) return;
    for (const key of Object.keys(value)) {
      if (value[key] === undefined || key in family.kinds) continue;
      const owner = kinds.find((k) => family.kinds[k]?.includes(key));
      if (owner === undefined || owner === kind) continue;
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `"${key}" applies only to ${owner} ${family.noun}s, not to ${kind}: remove it (keys of this ${family.noun}: ${list(keysOf(family, kind))})`,
        params: { atKey: true },
      });
    }
  };
}

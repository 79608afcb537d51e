/**
 * Turns zod issues into manifest problems a person can act on: "must be at most 4096 (got 9000)"
 * rather than "Too big: expected number to be <=4096". Schema-level messages (regexes, refinements)
 * win over this map, so it only words the generic cases.
 */
import type { z } from 'zod';
import { AUTH_KINDS, BINDING_KINDS, DESTINATION_KINDS, keysOf, kindsIn, NO_KIND, TRIGGER_KINDS } from './one-of.js';
import type { OneOf } from './one-of.js';
import { defaultsSchema, describeValue, functionSchema, manifestSchema } from './schema.js';

type ErrorMap = z.core.$ZodErrorMap;
type Issue = z.core.$ZodIssue;

const TYPE_NAMES: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping of keys to values',
  record: 'a mapping of keys to values',
  array: 'a list',
};

/** Pass as `{ error: manifestErrorMap }` to `safeParse`. */
export const manifestErrorMap: ErrorMap = (issue) => {
  const got = describeValue(issue.input);
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected} (got ${got})`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters long`;
      if (issue.origin === 'array') return `must have at most ${issue.maximum} items`;
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum} (got ${got})`;
    case 'too_small':
      if (issue.origin === 'string') return issue.minimum === 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters long`;
      if (issue.origin === 'array') return `must have at least ${issue.minimum} items`;
      return `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${issue.minimum} (got ${got})`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${got})`;
    default:
      return undefined;
  }
};

/** A problem located by its path in the raw manifest. */
export interface PathIssue {
  path: (string | number)[];
  message: string;
  /** Point at the key rather than its value (unknown keys, bad names). */
  atKey?: boolean;
}

/**
 * Flattens zod issues into one PathIssue per problem (one per unknown key, for instance).
 * `raw` is the parsed document, which tells what kind a trigger or binding was meant to be.
 */
export function fromZodIssues(issues: readonly Issue[], raw?: unknown): PathIssue[] {
  const withUnknownKeys = new Set(issues.filter((i) => i.code === 'unrecognized_keys').map((i) => JSON.stringify(i.path)));
  return issues.flatMap((issue): PathIssue[] => {
    const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (issue.code === 'unrecognized_keys') {
      const value = valueAt(raw, path);
      return issue.keys.map((key) => ({ path: [...path, key], message: unknownKeyMessage(key, path, value), atKey: true }));
    }
    if (issue.code === 'invalid_key') {
      const inner = issue.issues.map((i) => i.message).join('; ');
      return [{ path, message: `bad name "${String(path.at(-1))}": ${inner}`, atKey: true }];
    }
    if (issue.code === 'custom') {
      // "No trigger kind" is implied by the unknown key, which says it better.
      if (issue.params?.[NO_KIND] === true && withUnknownKeys.has(JSON.stringify(issue.path))) return [];
      if (issue.params?.['atKey'] === true) return [{ path, message: issue.message, atKey: true }];
    }
    return [{ path, message: issue.message }];
  });
}

// The one-of family a mapping at this raw path belongs to, if any.
function familyAt(path: (string | number)[]): OneOf | undefined {
  const [root, , section] = path;
  const rest = root === 'defaults' ? path.slice(1) : root === 'functions' ? path.slice(2) : [];
  if (root === 'functions' && section === 'triggers' && path.length === 4) return TRIGGER_KINDS;
  if (rest.length === 2 && rest[0] === 'destinations') return DESTINATION_KINDS;
  if (rest.length === 2 && rest[0] === 'bindings') return BINDING_KINDS;
  if (path.at(-1) === 'auth' && (root === 'defaults' ? path.length === 2 : section === 'triggers' && path.length === 5)) return AUTH_KINDS;
  return undefined;
}

// Where each strict object lives in the raw manifest, so an unknown key can list the valid ones.
function allowedKeys(path: (string | number)[]): string[] {
  if (path.length === 0) return Object.keys(manifestSchema.shape);
  if (path.length === 1 && path[0] === 'defaults') return Object.keys(defaultsSchema.shape);
  if (path.length === 2 && path[0] === 'functions') return Object.keys(functionSchema.shape);
  if (path.at(-1) === 'destinations' && path.length === (path[0] === 'defaults' ? 2 : 3)) return ['onSuccess', 'onFailure'];
  return [];
}

function unknownKeyMessage(key: string, path: (string | number)[], value: unknown): string {
  const family = familyAt(path);
  if (family === undefined) return unknownKey(key, allowedKeys(path));
  const kinds = Object.keys(family.kinds);
  const [kind] = isRecord(value) ? kindsIn(family, value) : [];
  if (kind === undefined) {
    const near = nearest(key, kinds);
    const hint = near === undefined ? '' : `did you mean "${near}"? `;
    return `unknown ${family.noun} kind "${key}": ${hint}${family.what} has exactly one of ${kinds.join(', ')}`;
  }
  return unknownKey(key, keysOf(family, kind), `keys of a ${kind} ${family.noun}`);
}

function unknownKey(key: string, allowed: string[], label = 'allowed keys'): string {
  const near = nearest(key, allowed);
  const hint = near === undefined ? '' : `did you mean "${near}"? `;
  const list = allowed.length === 0 ? '' : `${label}: ${allowed.join(', ')}`;
  return `unknown key "${key}": ${hint}${list || 'remove it'}`;
}

function nearest(key: string, candidates: string[]): string | undefined {
  return candidates.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
}

function valueAt(raw: unknown, path: (string | number)[]): unknown {
  let value = raw;
  for (const seg of path) value = isRecord(value) || Array.isArray(value) ? (value as Record<string | number, unknown>)[seg] : undefined;
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/**
 * Semantic checks run on the normalized spec; this maps their paths back to where the value is
 * written in `nimbus.yaml`, so the error names the line to edit: a trigger's `type` is its kind
 * key (`{ webhook: /x }`), a webhook's `path` is written as `webhook`, and a destination or
 * binding a function inherits is written under `defaults`.
 */
import type { FunctionConfig, Trigger } from '../domain/types.js';

export interface RawPath {
  path: (string | number)[];
  /** Point at the key (a binding's name) rather than its value. */
  atKey?: boolean;
}

// Normalized trigger fields whose raw key differs (the kind key holds the main value).
const RAW_FIELD: { [T in Trigger['type']]?: Record<string, string> } = {
  http: { method: 'http', path: 'http' },
  webhook: { path: 'webhook' },
  email: { address: 'email' },
};

/** The raw manifest path of a normalized-spec path reported by `checkFunctions`. */
export function rawPathOf(path: (string | number)[], functions: Record<string, FunctionConfig>, raw: unknown): RawPath {
  const [root, fn, section, item, field] = path;
  if (root !== 'functions' || typeof fn !== 'string') return { path };
  if (section === 'triggers' && typeof item === 'number') {
    const trigger = functions[fn]?.triggers[item];
    if (trigger === undefined) return { path };
    const key = field === undefined ? trigger.type : (RAW_FIELD[trigger.type]?.[String(field)] ?? field);
    // A route policy the trigger inherits is written under `defaults`.
    if (typeof key === 'string' && ['auth', 'cors', 'rateLimit'].includes(key)) {
      const own = child(child(child(raw, 'functions'), fn), 'triggers');
      const written = Array.isArray(own) ? child(own[item], key) : undefined;
      const rest = path.slice(5);
      return { path: written === undefined ? ['defaults', key, ...rest] : ['functions', fn, 'triggers', item, key, ...rest] };
    }
    return { path: ['functions', fn, 'triggers', item, key] };
  }
  if ((section === 'destinations' || section === 'bindings') && typeof item === 'string') {
    const atKey = section === 'bindings';
    const own = child(child(child(child(raw, 'functions'), fn), section), item);
    const inherited = child(child(child(raw, 'defaults'), section), item);
    if (own === undefined && inherited !== undefined) return { path: ['defaults', ...path.slice(2)], atKey };
    return { path, atKey };
  }
  return { path };
}

function child(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return (value as Record<string, unknown>)[key];
}

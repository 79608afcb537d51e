/**
 * Where an app's routes live: an optional host (`shop.example.com`, or `*.shop.example.com` for
 * any name one or more labels below it) and an optional base path (`/shop`). Routes of apps that
 * claim neither share the default namespace. Pure helpers shared by the manifest, the deploy
 * checks and the gateway.
 */
import { z } from 'zod';
import type { AppRoutes } from '../domain/types.js';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** A DNS name, optionally `*.` + a DNS name; case-insensitive (stored lower-case). */
export const HOST = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`, 'i');
/** Literal segments only (no `{params}`), no trailing "/", never "/" alone. */
export const BASE_PATH = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/;
/** It becomes a host label (`<stage>.<host>`): no trailing "-". */
export const STAGE_NAME = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

export const hostSchema = z
  .string()
  .max(253)
  .regex(HOST, { error: 'must be a host name like "shop.example.com", or "*.shop.example.com" for every name below it (no port, no scheme)' })
  .transform((h) => h.toLowerCase())
  .describe(
    'Host name the app answers on (the Host header without its port, case-insensitive). "*.example.com" matches any name one or more labels below example.com; an exact claim wins over a wildcard, a longer wildcard over a shorter one.',
  );

export const basePathSchema = z
  .string()
  .max(256)
  .regex(BASE_PATH, { error: 'must be a path like "/shop": segments of letters, digits, ".", "_", "~" and "-", no "{params}", no trailing "/"' })
  .describe('Path prefix of every route of the app: "GET /orders" with basePath "/shop" answers at /shop/orders. The function sees the path without the prefix (as API Gateway base-path mappings).');

export const appRoutesSchema = z
  .strictObject({ host: hostSchema.optional(), basePath: basePathSchema.optional() })
  .describe(
    'Claims a host and/or a base path for the app: its routes and webhooks are matched only there, so other apps may use the same paths. Without it the app shares the default namespace, where no two apps may have overlapping routes.',
  );

export const stageSchema = z.string().regex(STAGE_NAME, { error: 'stage names are 1-32 lower-case letters, digits and "-", starting with a letter and not ending with "-" (e.g. "staging")' });

/** `/shop` + `/orders` → `/shop/orders`; `/shop` + `/` → `/shop`. */
export function fullPath(basePath: string | undefined, path: string): string {
  if (basePath === undefined) return path;
  return path === '/' ? basePath : `${basePath}${path}`;
}

/** The namespace key of an app's routes: host ('' = any host not claimed) and base path ('' = none). */
export function namespaceOf(routes: AppRoutes | undefined): { host: string; basePath: string } {
  return { host: routes?.host ?? '', basePath: routes?.basePath ?? '' };
}

/** `shop.example.com` + `staging` → `staging.shop.example.com`; `*.example.com` → `*.staging.example.com`. */
export function stageHost(host: string, stage: string): string {
  return host.startsWith('*.') ? `*.${stage}.${host.slice(2)}` : `${stage}.${host}`;
}

/**
 * Whether a request's host (lower-case, no port) is matched by a claimed host pattern.
 * @example hostMatches('*.shop.example.com', 'a.b.shop.example.com') // true
 * @example hostMatches('*.shop.example.com', 'shop.example.com') // false
 */
export function hostMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host;
  return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
}

/** The Host header's name, lower-case and without its port: `Shop.Example.COM:8080` → `shop.example.com`. */
export function requestHost(header: string | undefined): string {
  if (header === undefined) return '';
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return (colon === -1 ? h : h.slice(0, colon)).replace(/\.$/, '');
}

/**
 * Routes of different apps must never compete for a request. Every HTTP route and webhook path
 * of an app is a claim on its namespace (host + base path, see manifest/namespace.ts); a deploy
 * or rollback is refused with ROUTE_CONFLICT, before anything is stored, when:
 * - its host + base path is claimed by another app (one namespace belongs to one app);
 * - one of its claims overlaps a claim of another app on the same host (`routesOverlap`: some
 *   request could match both; a webhook is `POST <path>`), full paths (base path + path) compared;
 * - a route is exactly a platform path (`/healthz`, which the gateway always answers itself).
 * Wildcard and exact hosts are different namespaces: the gateway picks the most specific one.
 */
import type { FunctionConfig, FunctionVersion } from '../domain/index.js';
import { fullPath, methodsOverlap, namespaceOf, routesOverlap } from '../manifest/index.js';
import { NimbusError } from '../shared/errors.js';
import { routeOf } from '../triggers/sources/kinds.js';

/** Paths the gateway serves itself on every host, before any route. */
export const PLATFORM_PATHS = ['/healthz'] as const;

interface Claim {
  /** `app/function`. */
  owner: string;
  app: string;
  host: string;
  basePath: string;
  method: string;
  /** Base path + path: what the router matches. */
  path: string;
  /** As declared, e.g. `GET /orders` or `webhook /hooks/github`. */
  declared: string;
}

/** Every route and webhook of one function, as claims on its namespace. */
export function claimsOf(app: string, fn: string, config: Pick<FunctionConfig, 'triggers' | 'routes'>): Claim[] {
  const { host, basePath } = namespaceOf(config.routes);
  const out: Claim[] = [];
  for (const t of config.triggers) {
    const base = { owner: `${app}/${fn}`, app, host, basePath };
    // Which triggers claim a route (http, webhook: a POST) is their kind's to say.
    const route = routeOf(t);
    if (route) out.push({ ...base, method: route.method, path: fullPath(config.routes?.basePath, route.path), declared: route.declared });
  }
  return out;
}

/** The path with parameter names erased: `/a/{x}/{rest+}` → `/a/{}/{+}`. */
function pathKey(path: string): string {
  return path.replace(/\{[^{}]*?(\+?)\}/g, (_m, plus: string) => `{${plus}}`);
}

/** The first segment when it is a literal (an index key), else '*' (it may match anything). */
function firstKey(path: string): string {
  const first = path.split('/')[1] ?? '';
  return first === '' || first.includes('{') ? '*' : first;
}

function where(c: Claim): string {
  const parts = [c.host === '' ? '' : `host ${c.host}`, c.basePath === '' ? '' : `base path ${c.basePath}`].filter(Boolean);
  return parts.length === 0 ? 'the default namespace' : parts.join(', ');
}

/**
 * @throws NimbusError ROUTE_CONFLICT naming both apps, both routes and the namespace.
 * `active`: the deployed versions; those of `app` are skipped (the deploy replaces them).
 */
export function checkRouteConflicts(app: string, inputs: readonly { name: string; config: FunctionConfig }[], active: Iterable<FunctionVersion>, wholeApp = true): void {
  const byHost = new Map<string, Map<string, Claim[]>>();
  const namespaces = new Map<string, string>();
  const replaced = new Set(inputs.map((i) => i.name));
  const own: Claim[] = [];
  for (const fn of active) {
    if (fn.app === app) {
      // A rollback keeps the app's other functions: the app's own rule (no two identical routes or webhook paths) still holds.
      if (!wholeApp && !replaced.has(fn.name)) own.push(...claimsOf(fn.app, fn.name, fn.config));
      continue;
    }
    const ns = namespaceOf(fn.config.routes);
    if (ns.host !== '' || ns.basePath !== '') namespaces.set(`${ns.host} ${ns.basePath}`, fn.app);
    for (const c of claimsOf(fn.app, fn.name, fn.config)) {
      const index = byHost.get(c.host) ?? new Map<string, Claim[]>();
      byHost.set(c.host, index);
      const k = firstKey(c.path);
      index.set(k, [...(index.get(k) ?? []), c]);
    }
  }
  for (const input of inputs) {
    const ns = namespaceOf(input.config.routes);
    const taken = namespaces.get(`${ns.host} ${ns.basePath}`);
    if (taken !== undefined) {
      const what = [ns.host === '' ? '' : `host ${ns.host}`, ns.basePath === '' ? '' : `base path ${ns.basePath}`].filter(Boolean).join(' + ');
      throw new NimbusError('ROUTE_CONFLICT', `${what} is claimed by app "${taken}"; one host and base path belong to one app: choose another, or delete "${taken}" first`, {
        details: { function: `${app}/${input.name}`, conflictsWith: taken, host: ns.host || null, basePath: ns.basePath || null },
      });
    }
    for (const claim of claimsOf(app, input.name, input.config)) {
      const platform = PLATFORM_PATHS.find((p) => p === claim.path && methodsOverlap(claim.method, 'GET'));
      if (platform !== undefined) {
        throw new NimbusError('ROUTE_CONFLICT', `${claim.declared} of ${claim.owner} is ${platform}, which Nimbus serves itself on every host: choose another path`, {
          details: { route: claim.declared, function: claim.owner, conflictsWith: 'platform' },
        });
      }
      const twin = own.find((o) => o.host === claim.host && methodsOverlap(o.method, claim.method) && pathKey(o.path) === pathKey(claim.path));
      if (twin !== undefined) {
        throw new NimbusError('ROUTE_CONFLICT', `${claim.declared} of ${claim.owner} is also ${twin.declared} of ${twin.owner}: give each its own path`, {
          details: { route: claim.declared, function: claim.owner, conflictsWith: twin.owner, conflictsWithRoute: twin.declared },
        });
      }
      const index = byHost.get(claim.host);
      if (index === undefined) continue;
      const k = firstKey(claim.path);
      const candidates = k === '*' ? [...index.values()].flat() : [...(index.get(k) ?? []), ...(index.get('*') ?? [])];
      const other = candidates.find((o) => routesOverlap(claim, o));
      if (other === undefined) continue;
      throw new NimbusError(
        'ROUTE_CONFLICT',
        `${claim.declared} of ${claim.owner} overlaps ${other.declared} of ${other.owner} in ${where(other)}; ` +
          'routes of different apps may not overlap there: claim a host or base path (routes: in nimbus.yaml), choose another path, or remove it there first',
        { details: { route: claim.declared, function: claim.owner, conflictsWith: other.owner, conflictsWithRoute: other.declared, host: claim.host || null, basePath: claim.basePath || null } },
      );
    }
  }
}

/**
 * The route table: one radix tree (find-my-way) per namespace host, built once per change of the
 * deployed set and swapped in whole, so a deploy switches every route of an app at the same
 * instant and a lookup costs the same with 1 or 1,000 routes.
 *
 * Namespaces (manifest/namespace.ts): a request's Host (lower-case, no port) selects the routes of
 * the app that claims that host (an exact claim first, then the longest wildcard), and only those;
 * a host nobody claims selects the default namespace (apps without a host). Within it, a route
 * with a base path is registered at base path + path, and the function sees the path without it.
 */
import FindMyWay from 'find-my-way';
import type { HTTPVersion, Handler } from 'find-my-way';
import type { FunctionVersion, HttpTrigger } from '../domain/index.js';
import { HTTP_METHODS, formatRoute, fullPath, hostMatches, namespaceOf } from '../manifest/index.js';

export interface RouteTarget {
  fn: FunctionVersion;
  /** The trigger, with its auth, cors and rateLimit. */
  trigger: HttpTrigger;
  /** `GET /hello/{name}` as declared. */
  route: string;
  /** Name of the `{proxy+}` parameter, if the route has one. */
  greedy: string | null;
  /** The app's base path ('' for none): stripped from the path the function sees. */
  basePath: string;
}

export interface RouteMatch {
  target: RouteTarget;
  params: Record<string, string>;
}

const METHODS = HTTP_METHODS.filter((m) => m !== 'ANY');
const noop: Handler<HTTPVersion.V1> = () => {};

/** Which claimed host a request's host belongs to: exact first, then the longest wildcard, else '' (default). */
export class HostIndex {
  private readonly exact = new Set<string>();
  private readonly wildcards: string[];

  constructor(claimed: Iterable<string>) {
    const wild: string[] = [];
    for (const h of claimed) {
      if (h === '') continue;
      if (h.startsWith('*.')) wild.push(h);
      else this.exact.add(h);
    }
    this.wildcards = [...new Set(wild)].sort((a, b) => b.length - a.length);
  }

  /** @example new HostIndex(['*.shop.example.com']).resolve('a.shop.example.com') // '*.shop.example.com' */
  resolve(host: string): string {
    if (host === '') return '';
    if (this.exact.has(host)) return host;
    return this.wildcards.find((w) => hostMatches(w, host)) ?? '';
  }
}

export class RouteTable {
  private readonly routers = new Map<string, FindMyWay.Instance<HTTPVersion.V1>>();
  readonly hosts: HostIndex;
  readonly size: number;

  constructor(functions: Iterable<FunctionVersion>) {
    let size = 0;
    const claimed = new Set<string>();
    for (const fn of functions) {
      const ns = namespaceOf(fn.config.routes);
      claimed.add(ns.host);
      for (const trigger of fn.config.triggers) {
        if (trigger.type !== 'http') continue;
        const { path, greedy } = toFindMyWay({ ...trigger, path: fullPath(fn.config.routes?.basePath, trigger.path) });
        const target: RouteTarget = { fn, trigger, route: formatRoute(trigger), greedy, basePath: ns.basePath };
        const methods = trigger.method === 'ANY' ? METHODS : [trigger.method];
        this.router(ns.host).on(methods as FindMyWay.HTTPMethod[], path, noop, target);
        size++;
      }
    }
    this.hosts = new HostIndex(claimed);
    this.size = size;
  }

  private router(host: string): FindMyWay.Instance<HTTPVersion.V1> {
    let r = this.routers.get(host);
    if (r === undefined) {
      r = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 2048 });
      this.routers.set(host, r);
    }
    return r;
  }

  /**
   * The route for this request in namespace `host` (from `hosts.resolve`); HEAD is served by the
   * GET route when there is no HEAD route (the body is dropped).
   */
  find(method: string, path: string, host = ''): RouteMatch | undefined {
    const router = this.routers.get(host);
    if (router === undefined) return undefined;
    const found = router.find(method as FindMyWay.HTTPMethod, path) ?? (method === 'HEAD' ? router.find('GET', path) : null);
    if (!found) return undefined;
    const target = found.store as RouteTarget;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(found.params)) {
      if (v === undefined) continue;
      params[k === '*' && target.greedy ? target.greedy : k] = v;
    }
    return { target, params };
  }
}

/** The path a function sees: without its app's base path (`/shop/orders` → `/orders`, `/shop` → `/`). */
export function functionPath(path: string, basePath: string): string {
  if (basePath === '' || !path.startsWith(basePath)) return path;
  const rest = path.slice(basePath.length);
  return rest === '' ? '/' : rest;
}

/** `/a/{id}/{rest+}` → `/a/:id/*`. */
function toFindMyWay(trigger: HttpTrigger): { path: string; greedy: string | null } {
  let greedy: string | null = null;
  const path = trigger.path.replace(/\{([^{}+]+)(\+?)\}/g, (_m, name: string, plus: string) => {
    if (plus) {
      greedy = name;
      return '*';
    }
    return `:${name}`;
  });
  return { path, greedy };
}

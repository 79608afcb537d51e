/**
 * HTTP route strings (`GET /hello/{name}`): parsing, a canonical key for conflict checks and
 * the display form. The gateway turns the path template into its router's syntax; this file
 * only guarantees the template is well formed.
 */
import type { HttpTrigger } from '../domain/types.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// RFC 3986 pchar minus '{' '}' (which mark params): what a literal segment may hold.
const LITERAL_SEGMENT = /^[A-Za-z0-9._~!$&'()*+,;=:@%-]+$/;
const EXAMPLE = 'write it as "METHOD /path", e.g. "GET /hello/{name}"';

function isMethod(value: string): value is HttpMethod {
  return (HTTP_METHODS as readonly string[]).includes(value);
}

/**
 * Parse `METHOD /path` into a trigger. The method is case-insensitive and stored upper-case.
 * Throws an Error whose message says what is wrong and how to write it.
 * @example parseHttpRoute('GET /users/{id}') // { type: 'http', method: 'GET', path: '/users/{id}' }
 */
export function parseHttpRoute(s: string): HttpTrigger {
  const parts = s.trim().split(/\s+/);
  if (parts[0]?.startsWith('/')) throw new Error(`"${s}" has no method: ${EXAMPLE}`);
  if (parts.length !== 2 || parts[0] === '') throw new Error(`"${s}" is not a route: ${EXAMPLE}`);
  const [rawMethod = '', path = ''] = parts;
  const method = rawMethod.toUpperCase();
  if (!isMethod(method)) {
    throw new Error(`unknown method "${rawMethod}" in "${s}": use one of ${HTTP_METHODS.join(', ')}`);
  }
  checkPath(path, s);
  return { type: 'http', method, path };
}

function checkPath(path: string, route: string): void {
  if (!path.startsWith('/')) throw new Error(`path "${path}" in "${route}" must start with "/"`);
  if (path === '/') return;
  const segments = path.slice(1).split('/');
  const seen = new Set<string>();
  segments.forEach((segment, i) => {
    if (segment === '') {
      throw new Error(`path "${path}" in "${route}" has an empty segment: remove the extra or trailing "/"`);
    }
    if (!segment.includes('{') && !segment.includes('}')) {
      if (!LITERAL_SEGMENT.test(segment)) {
        throw new Error(`segment "${segment}" in "${route}" has characters a URL path cannot hold unencoded`);
      }
      return;
    }
    const param = /^\{([^{}]*)\}$/.exec(segment)?.[1];
    if (param === undefined) {
      throw new Error(`segment "${segment}" in "${route}": a parameter must fill a whole segment, like "/{id}"`);
    }
    const greedy = param.endsWith('+');
    const name = greedy ? param.slice(0, -1) : param;
    if (!PARAM_NAME.test(name)) {
      throw new Error(`parameter "{${param}}" in "${route}": names start with a letter or "_" and hold only letters, digits and "_"`);
    }
    if (greedy && i !== segments.length - 1) {
      throw new Error(`"{${param}}" in "${route}" must be the last segment: it matches the rest of the path`);
    }
    if (seen.has(name)) throw new Error(`parameter "${name}" appears twice in "${route}": rename one`);
    seen.add(name);
  });
}

/** The path with parameter names erased: `/a/{x}/{rest+}` → `/a/{}/{+}`. */
function pathKey(path: string): string {
  return path.replace(/\{[^{}]*?(\+?)\}/g, (_m, plus: string) => `{${plus}}`);
}

/**
 * A canonical key for a route: two triggers with equal keys serve the same requests.
 * @example routeKey(parseHttpRoute('GET /a/{x}')) === routeKey(parseHttpRoute('GET /a/{y}')) // 'GET /a/{}'
 */
export function routeKey(t: HttpTrigger): string {
  return `${t.method} ${pathKey(t.path)}`;
}

/** Whether two triggers would claim the same requests (`ANY` overlaps every method). */
export function routesConflict(a: HttpTrigger, b: HttpTrigger): boolean {
  if (pathKey(a.path) !== pathKey(b.path)) return false;
  return a.method === b.method || a.method === 'ANY' || b.method === 'ANY';
}

/** The display form, `GET /hello/{name}`: what `routes` lists and errors quote. */
export function formatRoute(t: HttpTrigger): string {
  return `${t.method} ${t.path}`;
}

/**
 * Checks a webhook path: one exact URL path (no `{params}`), so the gateway can match it
 * literally. Returns what is wrong, or null.
 * @example webhookPathProblem('/hooks/github') // null
 */
export function webhookPathProblem(path: string): string | null {
  if (!path.startsWith('/')) return `webhook path "${path}" must start with "/", e.g. "/hooks/github"`;
  if (/[{}]/.test(path)) return `webhook path "${path}" must be exact: parameters like "{id}" are not allowed`;
  if (path === '/') return null;
  for (const segment of path.slice(1).split('/')) {
    if (segment === '') return `webhook path "${path}" has an empty segment: remove the extra or trailing "/"`;
    if (!LITERAL_SEGMENT.test(segment)) {
      return `segment "${segment}" of webhook path "${path}" has characters a URL path cannot hold unencoded`;
    }
  }
  return null;
}

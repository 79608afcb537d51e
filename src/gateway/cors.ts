/**
 * CORS of routes with `cors:` (as API Gateway HTTP API does it): the gateway answers preflights
 * itself and sets the Access-Control-* headers of actual responses, replacing any the function
 * set, so one policy in the manifest is what browsers see.
 *
 *   preflight: OPTIONS + Origin + Access-Control-Request-Method, and the route for the requested
 *   method has `cors` → 204, the function is not invoked. Allowed origin: Allow-Origin, -Methods,
 *   -Headers, -Credentials, Max-Age. Other origin: 204 without CORS headers (the browser refuses).
 *   actual request with an allowed Origin: Allow-Origin (+ Credentials, Expose-Headers), and
 *   `Vary: Origin` whenever the answer depends on the origin.
 */
import type { CorsPolicy } from '../domain/index.js';

export type HeaderPairs = [string, string][];

/** Whether `origin` may call a route with this policy. */
export function originAllowed(policy: CorsPolicy, origin: string | undefined): origin is string {
  if (origin === undefined) return false;
  return policy.origins.includes('*') || policy.origins.includes(origin);
}

function allowOrigin(policy: CorsPolicy, origin: string): HeaderPairs {
  // `*` only without credentials (the manifest refuses both); otherwise the origin itself, which varies.
  if (policy.origins.includes('*') && !policy.credentials) return [['access-control-allow-origin', '*']];
  const out: HeaderPairs = [
    ['access-control-allow-origin', origin],
    ['vary', 'Origin'],
  ];
  if (policy.credentials) out.push(['access-control-allow-credentials', 'true']);
  return out;
}

/** Headers of the 204 answering a preflight. */
export function preflightHeaders(policy: CorsPolicy, origin: string | undefined, requestMethod: string, requestHeaders: string | undefined): HeaderPairs {
  const vary: HeaderPairs = policy.origins.includes('*') ? [] : [['vary', 'Origin']];
  if (!originAllowed(policy, origin)) return vary;
  const out = allowOrigin(policy, origin);
  const methods = policy.methods.length > 0 ? policy.methods.join(', ') : requestMethod.toUpperCase();
  out.push(['access-control-allow-methods', methods]);
  const asked = (requestHeaders ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const headers = policy.headers.length > 0 ? policy.headers : asked;
  if (headers.length > 0) out.push(['access-control-allow-headers', headers.join(', ')]);
  if (policy.maxAge !== null) out.push(['access-control-max-age', String(policy.maxAge)]);
  return out;
}

/** Headers added to the actual response (the function's or the gateway's error). */
export function responseHeaders(policy: CorsPolicy, origin: string | undefined): HeaderPairs {
  if (!originAllowed(policy, origin)) return policy.origins.includes('*') ? [] : [['vary', 'Origin']];
  const out = allowOrigin(policy, origin);
  if (policy.exposeHeaders.length > 0) out.push(['access-control-expose-headers', policy.exposeHeaders.join(', ')]);
  return out;
}

/** Whether a request is a CORS preflight. */
export function isPreflight(method: string, headers: Record<string, string | string[] | undefined>): boolean {
  return method === 'OPTIONS' && typeof headers['origin'] === 'string' && typeof headers['access-control-request-method'] === 'string';
}

/**
 * What a request must look like before it is routed, so that the router and the function read the
 * same path: an origin-form target (`/…`) without dot segments or backslashes (a URL parser would
 * resolve `/public/../internal` or `/public/%2e%2e/internal` to `/internal`, and treat `\` as `/`),
 * and a `Host` that is a host name or address with an optional port and nothing else.
 */

/** `.` or `..` in any mix of literal and percent-encoded dots (`%2e`, `%2E`), as WHATWG URL resolves them. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Why the request path is refused (400), or undefined when it is fine. */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'the request target must be a path starting with "/"';
  if (path.includes('\\') || /%5c/i.test(path)) return 'the path must not contain backslashes';
  for (const segment of path.split('/')) {
    // Decoded too: `..%2f` is `../` to a function that decodes the path (Lambda's http.path does).
    const parts = segment.includes('%') ? [segment, ...decoded(segment).split('/')] : [segment];
    if (parts.some((p) => DOT_SEGMENT.test(p))) return 'the path must not contain "." or ".." segments (literal or percent-encoded)';
  }
  return undefined;
}

/** Whether a Host header value is `host[:port]` (a DNS name, an IPv4 address or a bracketed IPv6 address). */
export function validHost(host: string): boolean {
  if (host.length > 260 || !HOST.test(host)) return false;
  const port = /:(\d+)$/.exec(host.startsWith('[') ? host.slice(host.indexOf(']')) : host)?.[1];
  return port === undefined || Number(port) <= 65535;
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Whether two route patterns could serve the same request: the rule that keeps apps in one
 * namespace from taking each other's traffic. It follows the gateway's router (find-my-way):
 * `{param}` matches any one segment, `{proxy+}` the rest of the path (one or more segments; the
 * root catch-all `/{proxy+}` also matches `/`, as does a lone root parameter `/{id}`), literals match themselves (case-sensitive), and
 * methods overlap when equal, when either is `ANY`, or for GET and HEAD (HEAD falls back to GET).
 */

type Segment = { kind: 'literal'; value: string } | { kind: 'param' } | { kind: 'greedy' };

function segmentsOf(path: string): Segment[] {
  if (path === '/' || path === '') return [];
  return path
    .replace(/^\//, '')
    .split('/')
    .map((s): Segment => {
      const param = /^\{([^{}]*)\}$/.exec(s)?.[1];
      if (param === undefined) return { kind: 'literal', value: s };
      return param.endsWith('+') ? { kind: 'greedy' } : { kind: 'param' };
    });
}

/** Fewest segments a greedy segment at index `i` matches: the root catch-all also matches `/`. */
function greedyMin(i: number): number {
  return i === 0 ? 0 : 1;
}

/** Whether the rest of `p` from `j` can match some sequence of at least `n` segments. */
function canMatchAtLeast(p: Segment[], j: number, n: number): boolean {
  if (p.some((s, k) => k >= j && s.kind === 'greedy')) return true;
  return p.length - j >= n;
}

function overlapFrom(a: Segment[], i: number, b: Segment[], j: number): boolean {
  const sa = a[i];
  const sb = b[j];
  if (sa === undefined && sb === undefined) return true;
  if (sa?.kind === 'greedy') return canMatchAtLeast(b, j, greedyMin(i));
  if (sb?.kind === 'greedy') return canMatchAtLeast(a, i, greedyMin(j));
  if (sa === undefined || sb === undefined) return false;
  if (sa.kind === 'literal' && sb.kind === 'literal' && sa.value !== sb.value) return false;
  return overlapFrom(a, i + 1, b, j + 1);
}

/**
 * Whether some request path matches both path templates.
 * @example pathsOverlap('/api/{proxy+}', '/api/login') // true
 * @example pathsOverlap('/users/{id}', '/orders/{id}') // false
 */
export function pathsOverlap(a: string, b: string): boolean {
  const sa = segmentsOf(a);
  const sb = segmentsOf(b);
  if (matchesRoot(sa) && matchesRoot(sb)) return true;
  return overlapFrom(sa, 0, sb, 0);
}

/** Whether the pattern matches `/`: the root itself, the root catch-all, or a lone root parameter (find-my-way lets it be empty). */
function matchesRoot(p: Segment[]): boolean {
  return p.length === 0 || (p.length === 1 && p[0]?.kind !== 'literal');
}

/** Whether some request method is served by both methods (`ANY` is every method; HEAD falls back to GET). */
export function methodsOverlap(a: string, b: string): boolean {
  if (a === b || a === 'ANY' || b === 'ANY') return true;
  return (a === 'GET' && b === 'HEAD') || (a === 'HEAD' && b === 'GET');
}

/**
 * Whether two routes (method + path template) could both match one request.
 * @example routesOverlap({ method: 'ANY', path: '/api/login' }, { method: 'ANY', path: '/api/{proxy+}' }) // true
 */
export function routesOverlap(a: { method: string; path: string }, b: { method: string; path: string }): boolean {
  return methodsOverlap(a.method, b.method) && pathsOverlap(a.path, b.path);
}

/**
 * What guards an HTTP route (issue 9): `auth` (a JWT, an API key or an authorizer function),
 * `cors` and `rateLimit`, as written on an `http:` trigger or under `defaults:`, and normalized
 * (the domain's `RouteAuth`, `CorsPolicy`, `RateLimit`). `none` lifts a default on one route.
 */
import { z } from 'zod';
import type { CorsPolicy, RateLimit, RouteAuth } from '../domain/types.js';
import { functionNameSchema, secretNameSchema } from './names.js';
import { AUTH_KINDS, exactlyOne } from './one-of.js';

/** A secret of the app (`nimbus secret set <name>`): letters, digits, "_", "-", ".". */
const HEADER = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
const CORS_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
/** Asymmetric algorithms a JWKS may sign with; the default allow-list of a `jwks` route. */
export const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
/** HMAC algorithms for a `secret` route; HS256 is its default. */
export const SECRET_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
const ALGORITHMS: readonly string[] = [...JWKS_ALGORITHMS, ...SECRET_ALGORITHMS];
export const AUTH_DEFAULTS = { apiKeyHeader: 'x-api-key', ttl: 0, identitySource: ['header.authorization'] } as const;
/** Upper bound of a rate-limit period and of an authorizer's cache ttl. */
const MAX_PERIOD_MS = 3_600_000;

const secretName = secretNameSchema.describe('Name of a secret of the app (set with `nimbus secret set`; never an env value).');
const headerName = z.string().regex(HEADER, { error: 'must be an HTTP header name, e.g. "X-Api-Key"' });
const url = z.string().regex(/^https?:\/\/\S+$/, { error: 'must be an http(s) URL, e.g. "https://issuer.example/.well-known/jwks.json"' });

/** `500ms`, `1s`, `1m`, `1h` → ms. */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,7})(ms|s|m|h)$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

const jwt = z
  .strictObject({
    issuer: z.string().min(1).describe('The `iss` every token must carry.'),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('The `aud` (one, or a list of which the token must hold one).'),
    jwks: url.optional().describe('URL of the issuer’s JWKS (asymmetric keys, fetched and cached by kid). Exactly one of jwks and secret.'),
    secret: secretName.optional().describe('App secret holding the HMAC key (HS256 by default). Exactly one of jwks and secret.'),
    algorithms: z
      .array(z.string())
      .min(1)
      .optional()
      .describe(`Accepted "alg" values (never "none"). Default ${JWKS_ALGORITHMS.join(', ')} with jwks, HS256 with secret.`),
    scopes: z.array(z.string().min(1)).optional().describe('Scopes the token must all have (claim "scope", space-separated, or "scp", a list); else 403.'),
  })
  .superRefine((j, ctx) => {
    if ((j.jwks === undefined) === (j.secret === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of "jwks" (a URL of the issuer’s public keys) and "secret" (an app secret holding an HMAC key)' });
    }
    (j.algorithms ?? []).forEach((alg, i) => {
      const allowed: readonly string[] = j.secret !== undefined ? SECRET_ALGORITHMS : JWKS_ALGORITHMS;
      let message: string | undefined;
      if (alg.toLowerCase() === 'none') message = '"none" is never accepted: an unsigned token proves nothing';
      else if (!ALGORITHMS.includes(alg)) message = `unknown algorithm "${alg}": use ${ALGORITHMS.join(', ')}`;
      else if (!allowed.includes(alg)) message = `"${alg}" does not go with ${j.secret !== undefined ? 'an HMAC secret' : 'a JWKS'}: use ${allowed.join(', ')}`;
      if (message !== undefined) ctx.addIssue({ code: 'custom', path: ['algorithms', i], message });
    });
  })
  .describe('Bearer JWT in the Authorization header.');

const apiKey = z
  .strictObject({
    header: headerName.optional().describe(`Header carrying the key. Default ${AUTH_DEFAULTS.apiKeyHeader}.`),
    secret: secretName.describe('App secret the key must equal (compared in constant time).'),
  })
  .describe('A shared API key in a header.');

const identitySource = z
  .array(z.string().regex(/^(header|query)\.[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'must be "header.<name>" or "query.<name>", e.g. "header.authorization"' }))
  .min(1)
  .describe('Where the identity is: every source must be present (else 401, the authorizer is not called); together they key the cache. Default [header.authorization].');

const rawAuthObject = z.strictObject({
  jwt: jwt.optional(),
  apiKey: apiKey.optional(),
  function: functionNameSchema.optional().describe('A function of this app called as a Lambda authorizer (HTTP API v2 REQUEST event, simple response { isAuthorized, context }).'),
  ttl: z
    .int()
    .min(0)
    .max(MAX_PERIOD_MS / 1000)
    .optional()
    .describe('Seconds an authorizer answer is cached per identity, 0 to 3600. Default 0 (not cached).'),
  identitySource: identitySource.optional(),
});

const none = z.literal('none');

export const rawAuthSchema = z
  .union([none, rawAuthObject.superRefine(exactlyOne(AUTH_KINDS)).meta({ oneOf: Object.keys(AUTH_KINDS.kinds).map((k) => ({ required: [k] })) })])
  .describe('Who may call the route: { jwt }, { apiKey } or { function } (an authorizer); "none" lifts a default.');

export const rawCorsSchema = z
  .union([
    none,
    z
      .strictObject({
        origins: z
          .array(z.string().refine((o) => o === '*' || ORIGIN.test(o), { error: 'must be "*" or an origin "https://host[:port]" (no path)' }))
          .min(1)
          .describe('Origins allowed to call the route from a browser, or ["*"].'),
        methods: z.array(z.enum(CORS_METHODS)).min(1).optional().describe('Methods a preflight allows. Default: the one asked for.'),
        headers: z.array(headerName).optional().describe('Request headers a preflight allows. Default: those asked for.'),
        exposeHeaders: z.array(headerName).optional().describe('Response headers scripts may read.'),
        credentials: z.boolean().optional().describe('Allow cookies and Authorization (never with origins "*"). Default false.'),
        maxAge: z.int().min(0).max(86_400).optional().describe('Seconds a browser may cache the preflight answer.'),
      })
      .superRefine((c, ctx) => {
        if (c.credentials === true && c.origins.includes('*')) {
          ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'credentials cannot go with origins "*" (browsers refuse it): list the origins' });
        }
      }),
  ])
  .describe('Cross-origin browser access: preflights answered by the gateway, Access-Control-* headers added.');

const duration = z.string().refine((s) => parseDuration(s) !== null && parseDuration(s)! > 0 && parseDuration(s)! <= MAX_PERIOD_MS, {
  error: 'must be a duration from 1ms to 1h written like "500ms", "1s", "1m" or "1h"',
});

export const rawRateLimitSchema = z
  .union([
    none,
    z
      .strictObject({
        requests: z.int().min(1).max(1_000_000).describe('Tokens added every `per`.'),
        per: duration.describe('Refill period: "500ms", "1s", "1m", "1h".'),
        burst: z.int().min(1).max(1_000_000).optional().describe('Most requests at once (bucket size). Default `requests`.'),
        by: z.enum(['ip', 'key', 'jwt-sub']).optional().describe('Whose bucket: ip (default), key (the API key, or Authorization header), jwt-sub (the verified token’s sub).'),
      })
      .meta({ examples: [{ requests: 100, per: '1s', burst: 200, by: 'ip' }] }),
  ])
  .describe('A token bucket per client, per node: over it, 429 RATE_LIMITED with Retry-After.');

export type RawAuth = z.output<typeof rawAuthSchema>;
export type RawCors = z.output<typeof rawCorsSchema>;
export type RawRateLimit = z.output<typeof rawRateLimitSchema>;

export function toRouteAuth(a: Exclude<RawAuth, 'none'>): RouteAuth {
  if (a.jwt !== undefined) {
    const { issuer, audience, jwks, secret, algorithms, scopes } = a.jwt;
    return {
      type: 'jwt',
      issuer,
      audience: typeof audience === 'string' ? [audience] : audience,
      ...(jwks !== undefined ? { jwks } : {}),
      ...(secret !== undefined ? { secret } : {}),
      algorithms: algorithms ?? (secret !== undefined ? ['HS256'] : [...JWKS_ALGORITHMS]),
      scopes: scopes ?? [],
    };
  }
  if (a.apiKey !== undefined) return { type: 'apiKey', header: (a.apiKey.header ?? AUTH_DEFAULTS.apiKeyHeader).toLowerCase(), secret: a.apiKey.secret };
  return {
    type: 'function',
    function: a.function ?? '',
    ttl: a.ttl ?? AUTH_DEFAULTS.ttl,
    identitySource: (a.identitySource ?? AUTH_DEFAULTS.identitySource).map((s) => (s.startsWith('header.') ? s.toLowerCase() : s)),
  };
}

export function toCors(c: Exclude<RawCors, 'none'>): CorsPolicy {
  return {
    origins: c.origins,
    methods: c.methods ?? [],
    headers: (c.headers ?? []).map((h) => h.toLowerCase()),
    exposeHeaders: (c.exposeHeaders ?? []).map((h) => h.toLowerCase()),
    credentials: c.credentials ?? false,
    maxAge: c.maxAge ?? null,
  };
}

export function toRateLimit(r: Exclude<RawRateLimit, 'none'>): RateLimit {
  return { requests: r.requests, perMs: parseDuration(r.per) ?? 1000, burst: r.burst ?? r.requests, by: r.by ?? 'ip' };
}

// ---- normalized (control API)

export const routeAuthConfigSchema = z.discriminatedUnion('type', [
  z
    .strictObject({
      type: z.literal('jwt'),
      issuer: z.string().min(1),
      audience: z.array(z.string().min(1)).min(1),
      jwks: url.optional(),
      secret: secretName.optional(),
      algorithms: z.array(z.enum(ALGORITHMS as [string, ...string[]])).min(1),
      scopes: z.array(z.string().min(1)),
    })
    .refine((j) => (j.jwks === undefined) !== (j.secret === undefined), { error: 'exactly one of jwks and secret' })
    .refine((j) => j.algorithms.every((a) => (j.secret !== undefined ? SECRET_ALGORITHMS : JWKS_ALGORITHMS).includes(a as never)), {
      error: 'algorithms must match the key type (HS* with secret, asymmetric with jwks)',
    }),
  z.strictObject({ type: z.literal('apiKey'), header: headerName.refine((h) => h === h.toLowerCase(), { error: 'must be lower case' }), secret: secretName }),
  z.strictObject({
    type: z.literal('function'),
    function: functionNameSchema,
    ttl: z
      .int()
      .min(0)
      .max(MAX_PERIOD_MS / 1000),
    identitySource,
  }),
]);

export const corsConfigSchema = z
  .strictObject({
    origins: z.array(z.string().refine((o) => o === '*' || ORIGIN.test(o))).min(1),
    methods: z.array(z.enum(CORS_METHODS)),
    headers: z.array(headerName),
    exposeHeaders: z.array(headerName),
    credentials: z.boolean(),
    maxAge: z.int().min(0).max(86_400).nullable(),
  })
  .refine((c) => !(c.credentials && c.origins.includes('*')), { error: 'credentials cannot go with origins "*"' });

export const rateLimitConfigSchema = z.strictObject({
  requests: z.int().min(1).max(1_000_000),
  perMs: z.int().min(1).max(MAX_PERIOD_MS),
  burst: z.int().min(1).max(1_000_000),
  by: z.enum(['ip', 'key', 'jwt-sub']),
});

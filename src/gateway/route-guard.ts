/**
 * What a route's `auth` and `rateLimit` decide before the function runs (the gateway answers CORS
 * preflights before this, cors.ts):
 *
 *   rateLimit by ip → auth (jwt | apiKey | function) → rateLimit by key / jwt-sub → admitted
 *
 * A limit by address runs first so that a flood from one address costs no JWKS fetch, secret read
 * or authorizer invocation; a limit by key or subject needs the verified identity, so it runs after
 * auth (a wrong key is refused 401 and spends nothing). A refused request never reaches the runtime:
 * no instance, no invocation record (an authorizer's own invocation has its record).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyAuth, HttpTrigger } from '../domain/index.js';
import type { SecretSource } from '../secrets/index.js';
import type { WireAuth, WireRequest } from '../sandbox/protocol.js';
import type { Clock } from '../shared/clock.js';
import { NimbusError } from '../shared/errors.js';
import { Authorizers, type AuthorizerDeps } from './authorizer.js';
import { JwtVerifier, type JwksOptions } from './jwt.js';
import { TokenBuckets } from './rate-limit.js';

export interface RouteGuardOptions {
  /** Where `secret:` values of route auth are read; without it such routes refuse every request. */
  secrets?: SecretSource | undefined;
  clock: Clock;
  jwks?: JwksOptions | undefined;
  /** Rate-limit buckets held at most (least recently used dropped). Default 100,000. */
  maxBuckets?: number | undefined;
  log?: ((line: string) => void) | undefined;
}

export type Verdict = { ok: true; auth?: WireAuth } | { ok: false; error: NimbusError };

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export class RouteGuard {
  private readonly buckets: TokenBuckets;
  private readonly jwt: JwtVerifier;
  private readonly authorizers: Authorizers;

  constructor(
    private readonly options: RouteGuardOptions,
    functions: Pick<AuthorizerDeps, 'runtime' | 'function'>,
  ) {
    this.buckets = new TokenBuckets(options.clock, options.maxBuckets);
    this.jwt = new JwtVerifier({ secrets: options.secrets, clock: options.clock, jwks: options.jwks, log: options.log });
    this.authorizers = new Authorizers({ ...functions, clock: options.clock });
  }

  /** Whether this request may run the route's function, and what its auth established. */
  async check(app: string, route: HttpTrigger, req: WireRequest): Promise<Verdict> {
    const limit = route.rateLimit;
    if (limit?.by === 'ip') {
      const refused = this.take(app, route, `ip:${req.ip}`);
      if (refused) return { ok: false, error: refused };
    }
    let auth: WireAuth | undefined;
    const given = route.auth;
    if (given?.type === 'jwt') {
      const identity = await this.jwt.verify(app, given, req.headers['authorization']);
      if (identity instanceof NimbusError) return { ok: false, error: identity };
      auth = { type: 'jwt', claims: identity.claims, scopes: identity.scopes };
    } else if (given?.type === 'apiKey') {
      const refused = await this.apiKey(app, given, req.headers[given.header]);
      if (refused) return { ok: false, error: refused };
      auth = { type: 'apiKey' };
    } else if (given?.type === 'function') {
      const context = await this.authorizers.authorize(app, given, req);
      if (context instanceof NimbusError) return { ok: false, error: context };
      auth = { type: 'function', context };
    }
    if (limit !== undefined && limit.by !== 'ip') {
      const who = limit.by === 'jwt-sub' ? subjectOf(auth) : keyOf(route, req);
      // No key (an open route, no Authorization header): the client's address is all there is.
      const refused = this.take(app, route, who === undefined ? `ip:${req.ip}` : `${limit.by}:${sha256(who).toString('base64')}`);
      if (refused) return { ok: false, error: refused };
    }
    return auth === undefined ? { ok: true } : { ok: true, auth };
  }

  private take(app: string, route: HttpTrigger, who: string): NimbusError | undefined {
    const limit = route.rateLimit!;
    const got = this.buckets.take(`${app} ${route.method} ${route.path} ${who}`, limit);
    if (got.ok) return undefined;
    const retryAfter = Math.max(1, Math.ceil(got.retryAfterMs / 1000));
    return new NimbusError('RATE_LIMITED', `too many requests to ${route.method} ${route.path}: ${limit.requests} per ${limit.perMs} ms (burst ${limit.burst}); retry in ${retryAfter} s`, {
      details: { retryAfter },
    });
  }

  /** Constant time: both sides are hashed to the same length, then compared with timingSafeEqual. */
  private async apiKey(app: string, auth: ApiKeyAuth, given: string | undefined): Promise<NimbusError | undefined> {
    const refuse = () =>
      new NimbusError('UNAUTHORIZED', `this route needs its API key in the ${auth.header} header`, { details: { wwwAuthenticate: `ApiKey realm="${app}", header="${auth.header}"` } });
    if (given === undefined || given === '') return refuse();
    const secret = await this.options.secrets?.get(app, auth.secret);
    if (secret === undefined || secret === '') {
      this.options.log?.(`route auth of app "${app}": secret "${auth.secret}" (an API key) is not set; its routes refuse every request`);
      return new NimbusError('INTERNAL', `this route's API key (app secret "${auth.secret}") is not set: the app's owner must set it (nimbus secret set)`);
    }
    return timingSafeEqual(sha256(given), sha256(secret)) ? undefined : refuse();
  }
}

function subjectOf(auth: WireAuth | undefined): string | undefined {
  const sub = auth?.type === 'jwt' ? auth.claims['sub'] : undefined;
  return typeof sub === 'string' && sub !== '' ? sub : undefined;
}

function keyOf(route: HttpTrigger, req: WireRequest): string | undefined {
  const header = route.auth?.type === 'apiKey' ? route.auth.header : 'authorization';
  const value = req.headers[header];
  return value === undefined || value === '' ? undefined : value;
}

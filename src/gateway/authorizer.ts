/**
 * Authorizer functions (`auth: { function: name, ttl, identitySource }`), as API Gateway HTTP API
 * Lambda authorizers with payload 2.0 and simple responses.
 *
 *   every identity source present? (else 401, the authorizer is not called) → cached answer for
 *   these identity values younger than `ttl`? → else invoke the app's function `name` (its active
 *   version, through the runtime: a record of its own, trigger `http`) with a REQUEST event →
 *   `{ isAuthorized: true, context? }` lets the request through, `context` reaching the route's
 *   function as `requestContext.authorizer.lambda` (web: `ctx.auth.context`); `isAuthorized: false`
 *   → 403 FORBIDDEN. The authorizer throwing, timing out, being throttled or answering anything
 *   else → 500 AUTHORIZER_FAILED (THROTTLED passes through as 429): the credentials were not
 *   judged, so a 401 would tell the client to drop good ones.
 * Answers (allow and deny) are cached per (app, authorizer, identity values) for `ttl` seconds,
 * at most `maxEntries` of them (oldest dropped first).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FunctionAuth, FunctionVersion } from '../domain/index.js';
import type { Runtime } from '../runtime/index.js';
import type { WireRequest } from '../sandbox/protocol.js';
import type { Clock } from '../shared/clock.js';
import { NimbusError } from '../shared/errors.js';
import { uuidv7 } from '../shared/ids.js';
import { bearerRefusal } from './jwt.js';

const simpleResponse = z.object({ isAuthorized: z.boolean(), context: z.record(z.string(), z.unknown()).optional() });

type Answer = { ok: true; context: Record<string, unknown> } | { ok: false };

export interface AuthorizerDeps {
  runtime: Pick<Runtime, 'invoke'>;
  clock: Clock;
  /** The active version of an app's function. */
  function(app: string, name: string): FunctionVersion | undefined;
  maxEntries?: number;
}

export class Authorizers {
  private readonly cache = new Map<string, { answer: Answer; until: number }>();

  constructor(private readonly deps: AuthorizerDeps) {}

  /** The authorizer's context for this request, or the refusal. */
  async authorize(app: string, auth: FunctionAuth, req: WireRequest): Promise<Record<string, unknown> | NimbusError> {
    const identity = identityOf(auth.identitySource, req);
    if (identity === undefined) {
      return bearerRefusal('UNAUTHORIZED', `this route needs credentials in ${auth.identitySource.join(', ')}`, `Bearer realm="${app}"`);
    }
    // Hashed: identity values are credentials, and the cache should not hold them.
    const key = createHash('sha256')
      .update(JSON.stringify([app, auth.function, identity]))
      .digest('base64');
    const now = this.deps.clock.now();
    const cached = this.cache.get(key);
    let answer = cached !== undefined && cached.until > now ? cached.answer : undefined;
    if (answer === undefined) {
      const fresh = await this.invoke(app, auth, req, identity);
      if (fresh instanceof NimbusError) return fresh;
      answer = fresh;
      if (auth.ttl > 0) this.remember(key, answer, now + auth.ttl * 1000);
    }
    if (!answer.ok) return new NimbusError('FORBIDDEN', 'the route’s authorizer refused this request');
    return answer.context;
  }

  private async invoke(app: string, auth: FunctionAuth, req: WireRequest, identity: string[]): Promise<Answer | NimbusError> {
    const fn = this.deps.function(app, auth.function);
    if (fn === undefined) return new NimbusError('AUTHORIZER_FAILED', `the route's authorizer function "${auth.function}" is not deployed`);
    const outcome = await this.deps.runtime.invoke(fn, { kind: 'event', event: requestEvent(req, identity), shape: 'invoke' }, { id: uuidv7(), trigger: 'http', startedAt: Date.now() });
    if (!outcome.ok) {
      if (outcome.error.code === 'THROTTLED') return outcome.error;
      return new NimbusError('AUTHORIZER_FAILED', `the route's authorizer "${auth.function}" failed (${outcome.error.code}): ${outcome.error.message}`, {
        details: { authorizerInvocationId: outcome.record.id },
      });
    }
    const parsed = simpleResponse.safeParse(outcome.result.value);
    if (!parsed.success) {
      return new NimbusError('AUTHORIZER_FAILED', `the route's authorizer "${auth.function}" must return { isAuthorized: boolean, context?: object }`, {
        details: { authorizerInvocationId: outcome.record.id },
      });
    }
    return parsed.data.isAuthorized ? { ok: true, context: parsed.data.context ?? {} } : { ok: false };
  }

  private remember(key: string, answer: Answer, until: number): void {
    this.cache.delete(key);
    this.cache.set(key, { answer, until });
    const max = this.deps.maxEntries ?? 10_000;
    while (this.cache.size > max) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}

/** The values of `header.<name>` / `query.<name>` sources, or undefined when one is missing or empty. */
export function identityOf(sources: readonly string[], req: Pick<WireRequest, 'headers' | 'query'>): string[] | undefined {
  const query = new URLSearchParams(req.query);
  const values: string[] = [];
  for (const source of sources) {
    const dot = source.indexOf('.');
    const name = source.slice(dot + 1);
    const value = source.startsWith('header.') ? req.headers[name.toLowerCase()] : query.get(name);
    if (value === undefined || value === null || value === '') return undefined;
    values.push(value);
  }
  return values;
}

/** API Gateway HTTP API's REQUEST authorizer event, payload format 2.0. */
function requestEvent(req: WireRequest, identity: string[]): Record<string, unknown> {
  const headers = { ...req.headers };
  const cookies = headers['cookie'];
  delete headers['cookie'];
  const event: Record<string, unknown> = {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:nimbus:execute-api:local:000000000000:${req.route}`,
    identitySource: identity,
    routeKey: req.route,
    rawPath: req.path,
    rawQueryString: req.query,
    headers,
    requestContext: {
      http: { method: req.method, path: req.path, protocol: 'HTTP/1.1', sourceIp: req.ip, userAgent: headers['user-agent'] ?? '' },
      routeKey: req.route,
      stage: '$default',
      timeEpoch: Date.now(),
    },
  };
  if (cookies) event['cookies'] = cookies.split(/;\s*/);
  if (req.query) event['queryStringParameters'] = Object.fromEntries(new URLSearchParams(req.query));
  if (Object.keys(req.params).length > 0) event['pathParameters'] = req.params;
  return event;
}

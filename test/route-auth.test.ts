/**
 * Route auth, CORS and rate limits end to end (issue 9): a real node, real sandboxes, real HTTP,
 * and a JWKS served by a node:http server on loopback. Every refusal is checked twice: by its
 * answer (status, code, WWW-Authenticate / Retry-After) and by the function's invocation records,
 * which must count only the requests that were let through.
 */
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const APP = 'guarded';
const ISS = 'https://issuer.example';
const AUD = 'orders-api';
const HMAC = 'a-very-secret-hmac-key-of-32-bytes!!';
const API_KEY = 'k-0123456789abcdef';
const ORIGIN = 'https://app.example';

const LAMBDA = `export const handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ authorizer: event.requestContext.authorizer ?? null }),
});`;
const WEB = `export default {
  fetch(request, env, ctx) {
    return new Response(JSON.stringify({ auth: ctx.auth ?? null }), {
      headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'x-request-id': 'r1' },
    });
  },
};`;
const AUTHORIZER = `export const handler = async (event) => {
  const token = event.headers.authorization;
  if (token === 'boom') throw new Error('authorizer broke');
  return { isAuthorized: token === 'let-me-in', context: { user: 'u1', route: event.routeKey, identity: event.identitySource } };
};`;

/** A JWKS on loopback: `/jwks` serves `keys` and counts fetches; `/slow` never answers. */
async function jwksServer(): Promise<{ url: string; keys: JWK[]; fetches: () => number; server: Server }> {
  const keys: JWK[] = [];
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.url === '/slow') return; // left hanging: the gateway's fetch must time out
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, keys, fetches: () => fetches, server };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

describe('route auth, CORS and rate limits', () => {
  let n: TestNimbus;
  let jwks: Awaited<ReturnType<typeof jwksServer>>;
  const rsa1 = generateKeyPair('RS256');
  const rsa2 = generateKeyPair('RS256');
  /** 2xx answers per function: the invocation records must number exactly these. */
  const admitted: Record<string, number> = {};
  const call = async (fn: string, path: string, init: RequestInit = {}) => {
    const res = await n.fetch(path, init);
    const text = await res.text();
    if (res.status < 300) admitted[fn] = (admitted[fn] ?? 0) + 1;
    return { res, status: res.status, json: (text ? JSON.parse(text) : null) as Record<string, any> };
  };
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const hs = (claims: JWTPayload, edit: (j: SignJWT) => SignJWT = (j) => j) =>
    edit(new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISS).setAudience(AUD).setIssuedAt().setExpirationTime('5m')).sign(new TextEncoder().encode(HMAC));
  const rs = async (key: 'k1' | 'k2', claims: JWTPayload = { sub: 'carol' }) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: key })
      .setIssuer(ISS)
      .setAudience(AUD)
      .setExpirationTime('5m')
      .sign((await (key === 'k1' ? rsa1 : rsa2)).privateKey);
  const records = async (fn: string) => (await n.client.listInvocations(APP, fn, { limit: 1000 })).length;

  before(async () => {
    jwks = await jwksServer();
    jwks.keys.push({ ...(await exportJWK((await rsa1).publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' });
    n = await startTestNimbus({ jwks: { cooldownMs: 1000, timeoutMs: 500 } });
    // The keys the routes check are app secrets, read from the node's encrypted store.
    await n.client.setSecret(APP, 'jwt-secret', HMAC);
    await n.client.setSecret(APP, 'internal-key', API_KEY);
    const jwt = (extra: Record<string, unknown> = {}) => ({ jwt: { issuer: ISS, audience: AUD, secret: 'jwt-secret', ...extra } });
    await n.deploy({
      'nimbus.yaml': manifest(APP, {
        hs: {
          handler: 'src/lambda.handler',
          triggers: [
            { http: 'GET /hs', auth: jwt() },
            { http: 'GET /hs/admin', auth: jwt({ scopes: ['orders:admin'] }) },
          ],
        },
        rs: {
          handler: 'src/web.ts',
          triggers: [
            { http: 'GET /rs', auth: { jwt: { issuer: ISS, audience: AUD, jwks: `${jwks.url}/jwks` } } },
            { http: 'GET /slow-jwks', auth: { jwt: { issuer: ISS, audience: AUD, jwks: `${jwks.url}/slow` } } },
          ],
        },
        keyed: { handler: 'src/lambda.handler', triggers: [{ http: 'POST /hooks/internal', auth: { apiKey: { header: 'X-Api-Key', secret: 'internal-key' } } }] },
        authz: { handler: 'src/authz.handler' },
        behind: { handler: 'src/lambda.handler', triggers: [{ http: 'GET /behind', auth: { function: 'authz' } }] },
        behindweb: { handler: 'src/web.ts', triggers: [{ http: 'GET /behind-web', auth: { function: 'authz', ttl: 60 } }] },
        cors: {
          handler: 'src/web.ts',
          triggers: [
            {
              http: 'ANY /cors',
              cors: { origins: [ORIGIN], methods: ['GET', 'POST'], headers: ['authorization', 'content-type'], exposeHeaders: ['x-request-id'], credentials: true, maxAge: 600 },
            },
          ],
        },
        limited: { handler: 'src/lambda.handler', triggers: [{ http: 'GET /limited', rateLimit: { requests: 5, per: '1h' } }] },
        persub: { handler: 'src/lambda.handler', triggers: [{ http: 'GET /per-sub', auth: jwt(), rateLimit: { requests: 2, per: '1h', by: 'jwt-sub' } }] },
      }),
      'src/lambda.ts': LAMBDA,
      'src/web.ts': WEB,
      'src/authz.ts': AUTHORIZER,
    });
  });
  after(async () => {
    await n?.close();
    jwks?.server.closeAllConnections();
    jwks?.server.close();
  });

  it('HS256: a valid token runs the Lambda handler with its claims in requestContext.authorizer.jwt', async () => {
    const ok = await call('hs', '/hs', bearer(await hs({ sub: 'alice', scope: 'orders:read orders:admin' })));
    assert.equal(ok.status, 200);
    assert.equal(ok.json['authorizer'].jwt.claims.sub, 'alice');
    assert.equal(ok.json['authorizer'].jwt.claims.iss, ISS);
    assert.deepEqual(ok.json['authorizer'].jwt.scopes, ['orders:read', 'orders:admin']);
    assert.equal((await call('hs', '/hs/admin', bearer(await hs({ sub: 'alice', scp: ['orders:admin'] })))).status, 200);
  });

  it('HS256: refuses missing, malformed, expired, not-yet-valid, other issuer or audience, alg none and tampered tokens with 401', async () => {
    const valid = await hs({ sub: 'alice' });
    const [head, , sig] = valid.split('.');
    const cases: [string, RequestInit][] = [
      ['missing', {}],
      ['not bearer', { headers: { authorization: `Basic ${valid}` } }],
      ['malformed', bearer('not.a.jwt')],
      ['expired', bearer(await hs({ sub: 'alice' }, (j) => j.setExpirationTime(now() - 120)))],
      ['not yet valid', bearer(await hs({ sub: 'alice' }, (j) => j.setNotBefore(now() + 120)))],
      ['other issuer', bearer(await hs({ sub: 'alice' }, (j) => j.setIssuer('https://evil.example')))],
      ['other audience', bearer(await hs({ sub: 'alice' }, (j) => j.setAudience('billing-api')))],
      ['alg none', bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', iss: ISS, aud: AUD, exp: now() + 300 })}.`)],
      ['tampered', bearer(`${head}.${b64({ sub: 'mallory', iss: ISS, aud: AUD, exp: now() + 300 })}.${sig}`)],
      [
        'other key',
        bearer(
          await new SignJWT({ sub: 'alice' })
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuer(ISS)
            .setAudience(AUD)
            .setExpirationTime('5m')
            .sign(new TextEncoder().encode(`${HMAC}x`)),
        ),
      ],
    ];
    for (const [what, init] of cases) {
      const got = await call('hs', '/hs', init);
      assert.equal(got.status, 401, what);
      assert.equal(got.json['error'].code, 'UNAUTHORIZED', what);
      assert.match(got.res.headers.get('www-authenticate') ?? '', /^Bearer realm="guarded"/, what);
      assert.equal(got.res.headers.get('x-nimbus-invocation-id'), null, what);
    }
    const expired = await call('hs', '/hs', cases[3]![1]);
    assert.match(expired.res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.match(expired.json['error'].message, /expired/);
  });

  it('a valid token without the route’s scope gets 403 insufficient_scope', async () => {
    const got = await call('hs', '/hs/admin', bearer(await hs({ sub: 'alice', scope: 'orders:read' })));
    assert.equal(got.status, 403);
    assert.equal(got.json['error'].code, 'FORBIDDEN');
    assert.match(got.res.headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="orders:admin"/);
  });

  it('RS256 with a JWKS: claims reach a web handler as ctx.auth; an unknown kid refetches at most once per cooldown', async () => {
    const ok = await call('rs', '/rs', bearer(await rs('k1')));
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json['auth'], { type: 'jwt', claims: { sub: 'carol', iss: ISS, aud: AUD, exp: ok.json['auth'].claims.exp }, scopes: [], context: {} });
    assert.equal(jwks.fetches(), 1);
    assert.equal((await call('rs', '/rs', bearer(await rs('k1')))).status, 200);
    assert.equal(jwks.fetches(), 1, 'cached by kid');
    await new Promise((r) => setTimeout(r, 1100));
    // k2 is not published yet: one refetch, then the cooldown holds.
    assert.equal((await call('rs', '/rs', bearer(await rs('k2')))).status, 401);
    assert.equal(jwks.fetches(), 2);
    assert.equal((await call('rs', '/rs', bearer(await rs('k2')))).status, 401);
    assert.equal(jwks.fetches(), 2, 'no refetch within the cooldown');
    jwks.keys.push({ ...(await exportJWK((await rsa2).publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' });
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await call('rs', '/rs', bearer(await rs('k2')))).status, 200, 'the rotated key is found after the cooldown');
    assert.equal(jwks.fetches(), 3);
    // A token signed by k1's key but naming k2 does not verify.
    const forged = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k2' })
      .setIssuer(ISS)
      .setAudience(AUD)
      .setExpirationTime('5m')
      .sign((await rsa1).privateKey);
    assert.equal((await call('rs', '/rs', bearer(forged))).status, 401);
  });

  it('a JWKS that does not answer in time gives 401, and the node keeps serving', async () => {
    const t0 = Date.now();
    const got = await call('rs', '/slow-jwks', bearer(await rs('k1')));
    assert.equal(got.status, 401);
    assert.match(got.json['error'].message, /could not be fetched in time/);
    assert.ok(Date.now() - t0 < 3000, `answered after ${Date.now() - t0} ms`);
    assert.equal((await call('rs', '/rs', bearer(await rs('k1')))).status, 200);
  });

  it('API key: right key runs, wrong or missing key gets 401', async () => {
    const post = (key?: string) => call('keyed', '/hooks/internal', { method: 'POST', body: '{}', headers: key === undefined ? {} : { 'x-api-key': key } });
    assert.equal((await post(API_KEY)).status, 200);
    for (const key of [undefined, '', `${API_KEY}x`, API_KEY.slice(0, -1), 'k']) {
      const got = await post(key);
      assert.equal(got.status, 401, String(key));
      assert.equal(got.json['error'].code, 'UNAUTHORIZED');
    }
  });

  it('authorizer function: allow passes its context to the handler, deny is 403, a throw is 500, no identity is 401', async () => {
    const ok = await call('behind', '/behind', { headers: { authorization: 'let-me-in' } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json['authorizer'], { lambda: { user: 'u1', route: 'GET /behind', identity: ['let-me-in'] } });
    const web = await call('behindweb', '/behind-web', { headers: { authorization: 'let-me-in' } });
    assert.deepEqual(web.json['auth'].context, { user: 'u1', route: 'GET /behind-web', identity: ['let-me-in'] });
    assert.equal((await call('behind', '/behind', { headers: { authorization: 'nope' } })).status, 403);
    const broke = await call('behind', '/behind', { headers: { authorization: 'boom' } });
    assert.equal(broke.status, 500);
    assert.equal(broke.json['error'].code, 'AUTHORIZER_FAILED');
    const none = await call('behind', '/behind');
    assert.equal(none.status, 401);
    // Each uncached decision ran the authorizer once; `none` never reached it. The web route's answer is cached.
    await call('behindweb', '/behind-web', { headers: { authorization: 'let-me-in' } });
    await eventually(async () => (await records('authz')) >= 4, 10_000, 'authorizer records');
    assert.equal(await records('authz'), 4);
  });

  it('CORS: preflights answered without the function, headers on actual responses, none for other origins', async () => {
    const pre = await call('cors', '/cors', { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(pre.status, 204);
    admitted['cors']!--; // answered by the gateway
    assert.equal(pre.res.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(pre.res.headers.get('access-control-allow-methods'), 'GET, POST');
    assert.equal(pre.res.headers.get('access-control-allow-headers'), 'authorization, content-type');
    assert.equal(pre.res.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(pre.res.headers.get('access-control-max-age'), '600');
    const evil = await call('cors', '/cors', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(evil.status, 204);
    admitted['cors']!--;
    assert.equal(evil.res.headers.get('access-control-allow-origin'), null);
    const actual = await call('cors', '/cors', { headers: { origin: ORIGIN } });
    assert.equal(actual.status, 200);
    assert.equal(actual.res.headers.get('access-control-allow-origin'), ORIGIN, 'the function’s "*" is replaced');
    assert.equal(actual.res.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(actual.res.headers.get('access-control-expose-headers'), 'x-request-id');
    assert.match(actual.res.headers.get('vary') ?? '', /Origin/);
    const other = await call('cors', '/cors', { headers: { origin: 'https://evil.example' } });
    assert.equal(other.status, 200);
    assert.equal(other.res.headers.get('access-control-allow-origin'), null);
    await eventually(async () => (await records('cors')) >= 2, 10_000, 'cors records');
    assert.equal(await records('cors'), 2, 'preflights never ran the function');
  });

  it('rate limit: a burst of 5 + 3 gets exactly 3 RATE_LIMITED with Retry-After, and runs 5', async () => {
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await call('limited', '/limited'));
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200, 200, 429, 429, 429],
    );
    for (const a of answers.slice(5)) {
      assert.equal(a.json['error'].code, 'RATE_LIMITED');
      // One token every 720 s.
      const retry = Number(a.res.headers.get('retry-after'));
      assert.ok(retry > 700 && retry <= 720, `Retry-After ${retry}`);
    }
    await eventually(async () => (await records('limited')) >= 5, 10_000, 'limited records');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await records('limited'), 5);
  });

  it('rate limit by jwt-sub: each subject has its own bucket', async () => {
    const alice = bearer(await hs({ sub: 'alice' }));
    const bob = bearer(await hs({ sub: 'bob' }));
    const statuses = [];
    for (const init of [alice, alice, alice, bob, bob, bob]) statuses.push((await call('persub', '/per-sub', init)).status);
    assert.deepEqual(statuses, [200, 200, 429, 200, 200, 429]);
  });

  it('never invoked a function for a refused request', async () => {
    for (const fn of ['hs', 'rs', 'keyed', 'behind', 'persub']) {
      await eventually(async () => (await records(fn)) >= (admitted[fn] ?? 0), 10_000, `${fn} records`);
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const fn of ['hs', 'rs', 'keyed', 'behind', 'persub']) assert.equal(await records(fn), admitted[fn] ?? 0, fn);
  });
});

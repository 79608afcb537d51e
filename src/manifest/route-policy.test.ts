import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseManifest } from './parse.js';
import { appSpecSchema } from './schema.js';
import { catchManifestError, issueAt } from './assert-issues.js';
import { parseDuration } from './route-policy-schema.js';
import type { HttpTrigger } from '../domain/types.js';

const lines = (...l: string[]): string => `${l.join('\n')}\n`;
const app = (...body: string[]) => lines('app: a', ...body);

describe('manifest: route auth, cors and rate limits', () => {
  it('normalizes each policy with its defaults, and applies defaults: to routes that do not lift them', () => {
    const spec = parseManifest(
      app(
        'defaults:',
        '  cors: { origins: [https://app.example], credentials: true, maxAge: 600 }',
        '  rateLimit: { requests: 100, per: 1s, burst: 200 }',
        'functions:',
        '  orders:',
        '    handler: o.js',
        '    triggers:',
        '      - http: GET /orders/{id}',
        '        auth: { jwt: { issuer: https://issuer.example, audience: orders-api, jwks: https://issuer.example/jwks.json, scopes: [read] } }',
        '      - http: POST /hooks/internal',
        '        auth: { apiKey: { header: X-Api-Key, secret: internal-key } }',
        '        cors: none',
        '        rateLimit: { requests: 5, per: 500ms, by: key }',
        '      - http: GET /public',
        '  authz:',
        '    handler: a.js',
        '    triggers:',
        '      - http: GET /guarded',
        '        auth: { function: authz, ttl: 60 }',
        '      - http: GET /hs',
        '        auth: { jwt: { issuer: i, audience: [a, b], secret: jwt-secret } }',
        '        rateLimit: { requests: 1, per: 1m, by: jwt-sub }',
      ),
    );
    const [orders, internal, pub] = spec.functions['orders']!.triggers as HttpTrigger[];
    assert.deepEqual(orders!.auth, {
      type: 'jwt',
      issuer: 'https://issuer.example',
      audience: ['orders-api'],
      jwks: 'https://issuer.example/jwks.json',
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      scopes: ['read'],
    });
    assert.deepEqual(orders!.cors, { origins: ['https://app.example'], methods: [], headers: [], exposeHeaders: [], credentials: true, maxAge: 600 });
    assert.deepEqual(orders!.rateLimit, { requests: 100, perMs: 1000, burst: 200, by: 'ip' });
    assert.deepEqual(internal!.auth, { type: 'apiKey', header: 'x-api-key', secret: 'internal-key' });
    assert.equal(internal!.cors, undefined);
    assert.deepEqual(internal!.rateLimit, { requests: 5, perMs: 500, burst: 5, by: 'key' });
    assert.equal(pub!.auth, undefined);
    assert.equal('lifted' in internal!, false);
    const [guarded, hs] = spec.functions['authz']!.triggers as HttpTrigger[];
    assert.deepEqual(guarded!.auth, { type: 'function', function: 'authz', ttl: 60, identitySource: ['header.authorization'] });
    assert.deepEqual(hs!.auth, { type: 'jwt', issuer: 'i', audience: ['a', 'b'], secret: 'jwt-secret', algorithms: ['HS256'], scopes: [] });
    // What the server receives validates too.
    assert.equal(appSpecSchema.safeParse(spec).success, true);
  });

  it('reports bad durations, unknown auth kinds, none, jwks with secret, a missing authorizer, * with credentials, each at its path', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(
        app(
          'functions:',
          '  f:',
          '    handler: f.js',
          '    triggers:',
          '      - http: GET /a',
          '        rateLimit: { requests: 10, per: 1 second }',
          '      - http: GET /b',
          '        auth: { oauth: { issuer: x } }',
          '      - http: GET /c',
          '        auth: { jwt: { issuer: i, audience: a, jwks: "https://i/jwks", algorithms: [RS256, none] } }',
          '      - http: GET /d',
          '        auth: { jwt: { issuer: i, audience: a, jwks: "https://i/jwks", secret: s } }',
          '      - http: GET /f',
          '        cors: { origins: ["*"], credentials: true }',
          '      - schedule: rate(5 minutes)',
          '        auth: { apiKey: { secret: k } }',
          '      - http: GET /h',
          '        auth: { jwt: { issuer: i, audience: a, secret: s, algorithms: [RS256] } }',
        ),
      ),
    );
    assert.match(issueAt(caught, 'functions.f.triggers[0].rateLimit.per').message, /duration .* "500ms", "1s"/);
    assert.match(issueAt(caught, 'functions.f.triggers[1].auth.oauth').message, /unknown auth kind "oauth": an auth has exactly one of jwt, apiKey, function/);
    assert.match(issueAt(caught, 'functions.f.triggers[2].auth.jwt.algorithms[1]').message, /"none" is never accepted/);
    assert.match(issueAt(caught, 'functions.f.triggers[3].auth.jwt').message, /exactly one of "jwks" .* and "secret"/);
    assert.match(issueAt(caught, 'functions.f.triggers[4].cors.credentials').message, /credentials cannot go with origins "\*"/);
    assert.match(issueAt(caught, 'functions.f.triggers[5].auth').message, /applies only to http triggers/);
    assert.match(issueAt(caught, 'functions.f.triggers[6].auth.jwt.algorithms[0]').message, /"RS256" does not go with an HMAC secret/);
  });

  it('reports an authorizer that is not a function of the app, and jwt-sub limits without JWT auth', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(
        app(
          'functions:',
          '  f:',
          '    handler: f.js',
          '    triggers:',
          '      - http: GET /e',
          '        auth: { function: nobody }',
          '      - http: GET /g',
          '        rateLimit: { requests: 1, per: 1s, by: jwt-sub }',
        ),
      ),
    );
    assert.match(issueAt(caught, 'functions.f.triggers[0].auth.function').message, /authorizer "nobody" is not a function of this app/);
    assert.match(issueAt(caught, 'functions.f.triggers[1].rateLimit.by').message, /jwt-sub needs/);
  });

  it('points at defaults: for a problem a route inherits', async () => {
    const caught = await catchManifestError(() => parseManifest(app('defaults:', '  auth: { function: gone }', 'functions:', '  f:', '    handler: f.js', '    triggers:', '      - http: GET /a')));
    assert.equal(issueAt(caught, 'defaults.auth.function').line, 3);
  });

  it('reads durations', () => {
    assert.deepEqual(['500ms', '1s', '2m', '1h', '1 s', '1d', ''].map(parseDuration), [500, 1000, 120_000, 3_600_000, null, null, null]);
  });
});

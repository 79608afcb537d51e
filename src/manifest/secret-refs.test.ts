import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { NimbusError } from '../shared/errors.js';
import { referencedSecrets, secretRefs } from '../secrets/refs.js';
import { parseManifest } from './parse.js';

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('parseManifest: env secret references', () => {
  it('splits { secret } values from plain ones, a function overriding the default per variable', () => {
    const spec = parseManifest(
      lines(
        'app: shop',
        'defaults: { env: { DB_PASSWORD: { secret: db-password }, STAGE: prod } }',
        'functions:',
        '  api:',
        '    handler: src/api.ts',
        '    env: { API_KEY: { secret: stripe_key }, STAGE: dev }',
        '  plain:',
        '    handler: src/plain.ts',
        '    env: { DB_PASSWORD: not-a-secret }',
      ),
    );
    assert.deepEqual(spec.functions['api']?.env, { STAGE: 'dev' });
    assert.deepEqual(spec.functions['api']?.secrets, { DB_PASSWORD: 'db-password', API_KEY: 'stripe_key' });
    assert.deepEqual(spec.functions['plain']?.env, { DB_PASSWORD: 'not-a-secret', STAGE: 'prod' });
    assert.equal(spec.functions['plain']?.secrets, undefined);
    assert.deepEqual(referencedSecrets(spec), ['db-password', 'stripe_key']);
    assert.deepEqual(
      secretRefs(spec).map((r) => `${r.function}:${r.where}:${r.secret}`),
      ['api:env.DB_PASSWORD:db-password', 'api:env.API_KEY:stripe_key'],
    );
  });

  it('lists the secrets route auth reads (API keys, HS256 JWT keys) beside env references', () => {
    const spec = parseManifest(
      lines(
        'app: shop',
        'functions:',
        '  api:',
        '    handler: src/api.ts',
        '    env: { DB: { secret: db } }',
        '    triggers:',
        '      - http: POST /hooks/internal',
        '        auth: { apiKey: { header: x-api-key, secret: internal-key } }',
        '      - http: GET /hs',
        '        auth: { jwt: { issuer: i, audience: a, secret: jwt-secret } }',
        '      - http: GET /open',
      ),
    );
    assert.deepEqual(referencedSecrets(spec), ['db', 'internal-key', 'jwt-secret']);
    assert.deepEqual(
      secretRefs(spec).map((r) => `${r.where}:${r.secret}`),
      ['env.DB:db', 'http POST /hooks/internal auth.apiKey:internal-key', 'http GET /hs auth.jwt:jwt-secret'],
    );
  });

  it('refuses bad secret names and extra keys', () => {
    for (const bad of ['{ secret: "has space" }', '{ secret: db, extra: 1 }', '{ secret: 1x }']) {
      assert.throws(
        () => parseManifest(lines('app: shop', 'functions:', '  api:', '    handler: src/api.ts', `    env: { X: ${bad} }`)),
        (err: unknown) => err instanceof NimbusError && err.code === 'MANIFEST_INVALID',
        bad,
      );
    }
  });
});

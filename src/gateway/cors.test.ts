import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import type { CorsPolicy } from '../domain/index.js';
import { isPreflight, originAllowed, preflightHeaders, responseHeaders } from './cors.js';

const policy: CorsPolicy = {
  origins: ['https://app.example'],
  methods: ['GET', 'POST'],
  headers: ['authorization', 'content-type'],
  exposeHeaders: ['x-request-id'],
  credentials: true,
  maxAge: 600,
};
const open: CorsPolicy = { origins: ['*'], methods: [], headers: [], exposeHeaders: [], credentials: false, maxAge: null };
const map = (pairs: [string, string][]) => Object.fromEntries(pairs);

describe('CORS', () => {
  it('answers a preflight from an allowed origin with the policy', () => {
    assert.deepEqual(map(preflightHeaders(policy, 'https://app.example', 'POST', 'Content-Type')), {
      'access-control-allow-origin': 'https://app.example',
      vary: 'Origin',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-max-age': '600',
    });
  });

  it('gives other origins no CORS headers, only Vary', () => {
    assert.deepEqual(preflightHeaders(policy, 'https://evil.example', 'GET', undefined), [['vary', 'Origin']]);
    assert.deepEqual(responseHeaders(policy, 'https://evil.example'), [['vary', 'Origin']]);
    assert.deepEqual(responseHeaders(policy, undefined), [['vary', 'Origin']]);
    assert.equal(originAllowed(policy, 'https://app.example.evil.example'), false);
    assert.equal(originAllowed(policy, 'http://app.example'), false);
  });

  it('adds Allow-Origin, credentials and exposed headers to actual responses', () => {
    assert.deepEqual(map(responseHeaders(policy, 'https://app.example')), {
      'access-control-allow-origin': 'https://app.example',
      vary: 'Origin',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-request-id',
    });
  });

  it('answers "*" without credentials, echoing the asked method and headers', () => {
    assert.deepEqual(map(preflightHeaders(open, 'https://any.example', 'put', 'X-A, x-b')), {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'x-a, x-b',
    });
    assert.deepEqual(responseHeaders(open, 'https://any.example'), [['access-control-allow-origin', '*']]);
  });

  it('tells a preflight from a plain OPTIONS request', () => {
    assert.equal(isPreflight('OPTIONS', { origin: 'https://a', 'access-control-request-method': 'GET' }), true);
    assert.equal(isPreflight('OPTIONS', { origin: 'https://a' }), false);
    assert.equal(isPreflight('GET', { origin: 'https://a', 'access-control-request-method': 'GET' }), false);
  });
});

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FunctionMeta, WireRequest } from './protocol.js';
import { restApiEvent, restResultToResponse } from './rest.js';
import { tmpMapper } from './tmp.js';

const fn: FunctionMeta = { app: 'shop', name: 'hooks', version: 2, memory: 128, handlerExport: 'handler' };
const req: WireRequest = {
  method: 'POST',
  path: '/hooks/git%20hub',
  query: '',
  headers: { 'x-hub-signature': 'sha1=a', host: 'h:1' },
  body: null,
  b64: false,
  params: { source: 'git hub' },
  route: 'POST /hooks/{source}',
  ip: '10.0.0.1',
};

describe('REST API (payload 1.0) events', () => {
  it('without raw headers (an older gateway) falls back to the lower-case ones; empty maps are null', () => {
    const e = restApiEvent('inv-1', req, fn);
    assert.equal(e['resource'], '/hooks/{source}');
    assert.equal(e['path'], '/hooks/git%20hub');
    assert.deepEqual(e['headers'], { 'x-hub-signature': 'sha1=a', host: 'h:1' });
    assert.deepEqual(e['multiValueHeaders'], { 'x-hub-signature': ['sha1=a'], host: ['h:1'] });
    assert.equal(e['queryStringParameters'], null);
    assert.equal(e['multiValueQueryStringParameters'], null);
    assert.equal(e['body'], null);
    const rc = e['requestContext'] as Record<string, unknown>;
    assert.equal((rc['identity'] as Record<string, unknown>)['sourceIp'], '10.0.0.1');
    assert.equal(rc['requestId'], 'inv-1');
    assert.equal(rc['resourcePath'], '/hooks/{source}');
  });

  it('passes a JWT authorizer’s claims and a function authorizer’s context as REST APIs do', () => {
    const jwt = restApiEvent('i', { ...req, auth: { type: 'jwt', claims: { sub: 'u1' }, scopes: ['a'] } }, fn);
    assert.deepEqual((jwt['requestContext'] as Record<string, unknown>)['authorizer'], { claims: { sub: 'u1' }, scopes: ['a'] });
    const lam = restApiEvent('i', { ...req, auth: { type: 'function', context: { tenant: 't1' } } }, fn);
    assert.deepEqual((lam['requestContext'] as Record<string, unknown>)['authorizer'], { tenant: 't1' });
  });

  it('needs a statusCode in the result; multiValueHeaders are kept; cookies are not a REST field', () => {
    assert.throws(() => restResultToResponse({ hello: 1 }), /statusCode/);
    assert.throws(() => restResultToResponse('text'), /statusCode/);
    const res = restResultToResponse({ statusCode: '204', headers: { A: '1' }, multiValueHeaders: { B: ['x', 'y'] }, cookies: ['c=1'] });
    assert.equal(res.status, 204);
    assert.deepEqual(res.headers, [
      ['a', '1'],
      ['b', 'x'],
      ['b', 'y'],
    ]);
  });
});

describe('/tmp redirection without a mount namespace', () => {
  const map = tmpMapper('/tmp/nimbus-1/sbx-ab');
  it('maps /tmp and paths under it into the instance temp dir', () => {
    assert.equal(map('/tmp'), '/tmp/nimbus-1/sbx-ab');
    assert.equal(map('/tmp/x'), '/tmp/nimbus-1/sbx-ab/x');
    assert.equal(map('/tmp/./a/../b'), '/tmp/nimbus-1/sbx-ab/b');
  });
  it('leaves paths inside the temp dir, outside /tmp, relative or merely alike alone', () => {
    assert.equal(map('/tmp/nimbus-1/sbx-ab/own.txt'), '/tmp/nimbus-1/sbx-ab/own.txt');
    assert.equal(map('/etc/passwd'), '/etc/passwd');
    assert.equal(map('tmp/x'), 'tmp/x');
    assert.equal(map('/tmpfoo/x'), '/tmpfoo/x');
  });
  it('cannot climb out: a path under /tmp that leaves it stays unmapped and the permission model judges it', () => {
    assert.equal(map('/tmp/../etc/passwd'), '/tmp/../etc/passwd');
    // A sibling's temp dir becomes a path inside this instance's own.
    assert.equal(map('/tmp/nimbus-1/sbx-cd/secret'), '/tmp/nimbus-1/sbx-ab/nimbus-1/sbx-cd/secret');
  });
});

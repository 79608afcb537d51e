import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { formatRoute, parseHttpRoute, routeKey, routesConflict } from './routes.js';

describe('parseHttpRoute', () => {
  it('parses method and path, upper-casing the method', () => {
    assert.deepEqual(parseHttpRoute('GET /hello/{name}'), { type: 'http', method: 'GET', path: '/hello/{name}' });
    assert.deepEqual(parseHttpRoute('  post   /items '), { type: 'http', method: 'POST', path: '/items' });
    assert.deepEqual(parseHttpRoute('ANY /api/{proxy+}'), { type: 'http', method: 'ANY', path: '/api/{proxy+}' });
    assert.equal(parseHttpRoute('GET /').path, '/');
    assert.equal(parseHttpRoute('GET /v1/files/{id}/raw.json').path, '/v1/files/{id}/raw.json');
  });

  const bad: [string, RegExp][] = [
    ['/hello', /has no method/],
    ['GET', /is not a route/],
    ['GET /a /b', /is not a route/],
    ['FETCH /a', /unknown method "FETCH".*GET, POST/],
    ['GET hello', /must start with "\/"/],
    ['GET /a/{proxy+}/b', /must be the last segment/],
    ['GET /a/{1x}', /parameter "\{1x\}"/],
    ['GET /a/{}', /parameter "\{\}"/],
    ['GET /a/{id}/b/{id}', /"id" appears twice/],
    ['GET /a/{id}/{id+}', /"id" appears twice/],
    ['GET /a/x{id}', /must fill a whole segment/],
    ['GET /a//b', /empty segment/],
    ['GET /a/', /empty segment/],
    ['GET /a b', /is not a route/],
    ['GET /a/"q"', /cannot hold unencoded/],
  ];
  for (const [route, message] of bad) {
    it(`rejects ${JSON.stringify(route)}`, () => {
      assert.throws(() => parseHttpRoute(route), message);
    });
  }
});

describe('routeKey and routesConflict', () => {
  const r = parseHttpRoute;
  it('ignores parameter names', () => {
    assert.equal(routeKey(r('GET /a/{x}')), routeKey(r('GET /a/{y}')));
    assert.equal(routeKey(r('GET /a/{x}/{rest+}')), 'GET /a/{}/{+}');
    assert.notEqual(routeKey(r('GET /a/{x}')), routeKey(r('GET /a/{x+}')));
    assert.notEqual(routeKey(r('GET /a/{x}')), routeKey(r('POST /a/{x}')));
  });

  it('treats ANY as overlapping every method on the same path', () => {
    assert.equal(routesConflict(r('ANY /a/{id}'), r('DELETE /a/{x}')), true);
    assert.equal(routesConflict(r('GET /a'), r('ANY /a')), true);
    assert.equal(routesConflict(r('GET /a'), r('POST /a')), false);
    assert.equal(routesConflict(r('ANY /a'), r('ANY /b')), false);
    assert.equal(routesConflict(r('GET /a/{id}'), r('GET /a/b')), false);
  });

  it('formats the display form', () => {
    assert.equal(formatRoute(r('get /hello/{name}')), 'GET /hello/{name}');
  });
});

import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import FindMyWay from 'find-my-way';
import { methodsOverlap, pathsOverlap, routesOverlap } from './overlap.js';

describe('pathsOverlap', () => {
  const cases: [string, string, boolean][] = [
    ['/api/login', '/api/{proxy+}', true],
    ['/users/me', '/users/{id}', true],
    ['/login', '/login', true],
    ['/users/{id}', '/users/{name}', true],
    ['/a/{x}/c', '/a/b/{y}', true],
    ['/users/{id}', '/orders/{id}', false],
    ['/users/{id}', '/users', false],
    ['/users/{id}', '/users/{id}/orders', false],
    ['/api/{proxy+}', '/api', false],
    ['/api/{proxy+}', '/apix/y', false],
    ['/{proxy+}', '/', true],
    ['/{proxy+}', '/healthz', true],
    ['/{proxy+}', '/x/{proxy+}', true],
    ['/a/{proxy+}', '/a/b/c/d', true],
    ['/a/{x}/{proxy+}', '/a/b', false],
    ['/', '/a', false],
    ['/', '/', true],
  ];
  for (const [a, b, expected] of cases) {
    it(`${a} ${expected ? 'overlaps' : 'does not overlap'} ${b} (both ways)`, () => {
      assert.equal(pathsOverlap(a, b), expected);
      assert.equal(pathsOverlap(b, a), expected);
    });
  }

  // The function must agree with the router the gateway really uses: two patterns overlap exactly
  // when some concrete path is matched by both (checked on paths built from their own literals).
  it('agrees with find-my-way on random patterns', () => {
    const literal = fc.constantFrom('a', 'b', 'c');
    const segment = fc.oneof(literal, fc.constant('{p}'));
    const pattern = fc
      .tuple(fc.array(segment, { maxLength: 3 }), fc.boolean())
      .map(([segs, greedy]) => `/${[...segs.map((s, i) => (s === '{p}' ? `{p${i}}` : s)), ...(greedy ? ['{rest+}'] : [])].join('/')}`);
    const matches = (p: string, path: string): boolean => {
      const router = FindMyWay({ ignoreTrailingSlash: true });
      router.on('GET', p.replace(/\{([^{}+]+)\}/g, ':$1').replace(/\{[^{}]+\+\}/, '*'), () => {});
      return router.find('GET', path) !== null;
    };
    const paths: string[] = ['/'];
    const grow = (prefix: string[], depth: number): void => {
      if (depth === 0) return;
      for (const s of ['a', 'b', 'c', 'z']) {
        paths.push(`/${[...prefix, s].join('/')}`);
        grow([...prefix, s], depth - 1);
      }
    };
    grow([], 5);
    fc.assert(
      fc.property(pattern, pattern, (a, b) => {
        const expected = paths.some((path) => matches(a, path) && matches(b, path));
        assert.equal(pathsOverlap(a, b), expected, `${a} vs ${b}`);
      }),
      { numRuns: 150 },
    );
  });
});

describe('methodsOverlap / routesOverlap', () => {
  it('ANY overlaps every method, HEAD overlaps GET, others only themselves', () => {
    assert.equal(methodsOverlap('ANY', 'POST'), true);
    assert.equal(methodsOverlap('DELETE', 'ANY'), true);
    assert.equal(methodsOverlap('HEAD', 'GET'), true);
    assert.equal(methodsOverlap('GET', 'POST'), false);
  });
  it('needs both the method and the path to overlap', () => {
    assert.equal(routesOverlap({ method: 'GET', path: '/users/me' }, { method: 'GET', path: '/users/{id}' }), true);
    assert.equal(routesOverlap({ method: 'POST', path: '/users/me' }, { method: 'GET', path: '/users/{id}' }), false);
    assert.equal(routesOverlap({ method: 'POST', path: '/login' }, { method: 'ANY', path: '/api/{proxy+}' }), false);
  });
});

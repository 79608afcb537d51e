import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pathProblem, validHost } from './request-check.js';

describe('request checks before routing', () => {
  it('refuses dot segments in every spelling, backslashes and non-origin targets', () => {
    for (const p of ['/a/../b', '/a/./b', '/..', '/a/%2e%2e/b', '/a/%2E./b', '/a/.%2e', '/a/%2e/b', '/a/..%2fb', '/a/%2e%2e%2fb', '/a\\b', '/a/%5cb', 'http://x/a', '*']) {
      assert.ok(pathProblem(p), p);
    }
  });

  it('accepts ordinary paths, dots inside names included', () => {
    for (const p of ['/', '/a/b', '/a/.well-known/x', '/a/...', '/a/b.c', '/a/%20b', '/a//b', '/files/v1.2..3']) assert.equal(pathProblem(p), undefined, p);
  });

  it('accepts host[:port] only', () => {
    for (const h of ['example.com', 'example.com:8080', 'localhost', '127.0.0.1:80', '[::1]:8080', '[::1]', 'a-b.c.', 'xn--bcher-kva.example']) assert.ok(validHost(h), h);
    for (const h of ['', 'x/internal', 'x?', 'x#', 'user@x', 'x:99999', 'x y', 'x:', '-x.com', 'x:80:80', '[::1', 'x\\y']) assert.equal(validHost(h), false, h);
  });
});

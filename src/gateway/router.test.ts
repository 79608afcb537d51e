import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { AppRoutes, FunctionConfig, FunctionVersion } from '../domain/index.js';
import { functionPath, HostIndex, RouteTable } from './router.js';

const fn = (app: string, routes: string[], ns?: AppRoutes): FunctionVersion => ({
  app,
  name: 'f',
  version: 1,
  hash: '',
  codeHash: '',
  codeSize: 0,
  createdAt: 0,
  config: { triggers: routes.map((r) => ({ type: 'http', method: r.split(' ')[0]!, path: r.split(' ')[1]! })), ...(ns ? { routes: ns } : {}) } as FunctionConfig,
});

describe('RouteTable namespaces', () => {
  const table = new RouteTable([
    fn('plain', ['GET /orders/{id}']),
    fn('exact', ['GET /orders/{id}'], { host: 'a.example.com' }),
    fn('wild', ['GET /orders/{id}'], { host: '*.example.com' }),
    fn('deeper', ['ANY /{proxy+}'], { host: '*.b.example.com' }),
    fn('based', ['GET /orders', 'GET /'], { basePath: '/shop' }),
  ]);
  const app = (path: string, host: string) => table.find('GET', path, table.hosts.resolve(host))?.target.fn.app;

  it('picks the exact host, then the longest wildcard, else the default namespace', () => {
    assert.equal(app('/orders/1', 'a.example.com'), 'exact');
    assert.equal(app('/orders/1', 'z.example.com'), 'wild');
    assert.equal(app('/orders/1', 'x.b.example.com'), 'deeper');
    assert.equal(app('/orders/1', 'elsewhere.org'), 'plain');
    assert.equal(app('/orders/1', ''), 'plain');
  });

  it('never falls back from a claimed host to the default namespace', () => {
    assert.equal(app('/shop/orders', 'a.example.com'), undefined);
    assert.equal(app('/shop/orders', 'elsewhere.org'), 'based');
  });

  it('registers base path + path and strips the base path for the function', () => {
    const m = table.find('GET', '/shop', '');
    assert.equal(m?.target.basePath, '/shop');
    assert.equal(functionPath('/shop', '/shop'), '/');
    assert.equal(functionPath('/shop/orders', '/shop'), '/orders');
    assert.equal(functionPath('/x', ''), '/x');
  });

  it('resolves hosts without claims to the default namespace', () => {
    assert.equal(new HostIndex([]).resolve('a.example.com'), '');
    assert.equal(new HostIndex(['', '*.a.io']).resolve('a.io'), '');
  });
});

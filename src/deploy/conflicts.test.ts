import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { AppRoutes, FunctionConfig, FunctionVersion, Trigger } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import { checkRouteConflicts } from './conflicts.js';

const http = (route: string): Trigger => {
  const [method = '', path = ''] = route.split(' ');
  return { type: 'http', method, path };
};
const hook = (path: string): Trigger => ({ type: 'webhook', path, secret: 'S', header: 'x-hub-signature-256' });
const config = (triggers: Trigger[], routes?: AppRoutes): FunctionConfig => ({ triggers, ...(routes ? { routes } : {}) }) as FunctionConfig;
const fn = (app: string, name: string, cfg: FunctionConfig): FunctionVersion => ({ app, name, version: 1, hash: '', codeHash: '', codeSize: 0, config: cfg, createdAt: 0 });

function refused(f: () => void): NimbusError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof NimbusError);
    assert.equal(err.code, 'ROUTE_CONFLICT');
    return err;
  }
  assert.fail('expected ROUTE_CONFLICT');
}

describe('checkRouteConflicts', () => {
  const shop = [fn('shop', 'api', config([http('ANY /api/{proxy+}'), http('GET /users/{id}'), http('POST /login')]))];

  it('refuses routes that overlap another app in the default namespace, naming both apps and routes', () => {
    for (const route of ['ANY /api/login', 'GET /users/me', 'GET /{proxy+}', 'ANY /login']) {
      const e = refused(() => checkRouteConflicts('red', [{ name: 'x', config: config([http(route)]) }], shop));
      assert.match(e.message, new RegExp(`${route.replace(/[{}+]/g, '\\$&')} of red/x overlaps`));
      assert.match(e.message, /of shop\/api/);
    }
    checkRouteConflicts('blog', [{ name: 'x', config: config([http('GET /posts/{id}'), http('POST /users/{id}')]) }], shop);
  });

  it('counts webhook paths as POST routes', () => {
    const e = refused(() => checkRouteConflicts('red', [{ name: 'x', config: config([hook('/login')]) }], shop));
    assert.match(e.message, /webhook \/login of red\/x overlaps POST \/login of shop\/api/);
    refused(() => checkRouteConflicts('red', [{ name: 'x', config: config([http('ANY /hooks/{name}')]) }], [fn('ci', 'gh', config([hook('/hooks/github')]))]));
  });

  it('lets apps with their own host or base path use the same paths, and compares full paths', () => {
    checkRouteConflicts('red', [{ name: 'x', config: config([http('ANY /api/{proxy+}')], { host: 'red.example.com' }) }], shop);
    checkRouteConflicts('red', [{ name: 'x', config: config([http('GET /users/{id}')], { basePath: '/red' }) }], shop);
    // The base path does not protect against another app's catch-all that covers it.
    const catchAll = [fn('all', 'f', config([http('ANY /{proxy+}')]))];
    refused(() => checkRouteConflicts('red', [{ name: 'x', config: config([http('GET /x')], { basePath: '/red' }) }], catchAll));
  });

  it('gives one host + base path to one app', () => {
    const owned = [fn('shop', 'f', config([http('GET /a')], { host: 'shop.example.com', basePath: '/v1' }))];
    const e = refused(() => checkRouteConflicts('red', [{ name: 'x', config: config([http('GET /b')], { host: 'shop.example.com', basePath: '/v1' }) }], owned));
    assert.match(e.message, /host shop\.example\.com \+ base path \/v1 is claimed by app "shop"/);
    checkRouteConflicts('red', [{ name: 'x', config: config([http('GET /b')], { host: 'shop.example.com', basePath: '/v2' }) }], owned);
  });

  it('refuses a route on a platform path, and lets an app redeploy its own routes', () => {
    refused(() => checkRouteConflicts('red', [{ name: 'x', config: config([http('GET /healthz')]) }], []));
    checkRouteConflicts('red', [{ name: 'x', config: config([http('ANY /{proxy+}')]) }], []);
    checkRouteConflicts('shop', [{ name: 'api', config: config([http('ANY /api/{proxy+}')]) }], shop);
  });

  it('keeps a rollback from duplicating a route of the same app', () => {
    const app = [fn('shop', 'a', config([hook('/hooks/gh')])), fn('shop', 'b', config([]))];
    refused(() => checkRouteConflicts('shop', [{ name: 'b', config: config([hook('/hooks/gh')]) }], app, false));
    checkRouteConflicts('shop', [{ name: 'b', config: config([hook('/hooks/other')]) }], app, false);
  });
});

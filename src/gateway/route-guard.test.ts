import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import type { FunctionVersion, HttpTrigger } from '../domain/index.js';
import type { InvocationOutcome } from '../runtime/index.js';
import type { WireRequest } from '../sandbox/protocol.js';
import { FakeClock } from '../shared/clock.js';
import { NimbusError } from '../shared/errors.js';
import { RouteGuard } from './route-guard.js';

const authz = { app: 'a', name: 'authz' } as FunctionVersion;
const request = (headers: Record<string, string> = {}, ip = '10.0.0.1'): WireRequest => ({
  method: 'GET',
  path: '/x',
  query: '',
  headers,
  body: null,
  b64: false,
  params: {},
  route: 'GET /x',
  ip,
});

/** A guard whose authorizer answers `answer(headers)` and counts its calls. */
function guardWith(answer: (event: { headers: Record<string, string> }) => unknown, clock = new FakeClock(0)) {
  let calls = 0;
  const runtime = {
    invoke: (_fn: FunctionVersion, input: { kind: string; event?: unknown }): Promise<InvocationOutcome> => {
      calls++;
      const value = answer(input.event as { headers: Record<string, string> });
      const record = { id: `r${calls}` } as InvocationOutcome['record'];
      if (value instanceof NimbusError) return Promise.resolve({ ok: false, record, error: value });
      return Promise.resolve({ ok: true, record, result: { ok: true, value, rss: 0 } });
    },
  };
  const secrets = { get: (_app: string, name: string) => Promise.resolve(name === 'k' ? 'the-key' : undefined) };
  const guard = new RouteGuard({ clock, secrets }, { runtime, function: (app, name) => (app === 'a' && name === 'authz' ? authz : undefined) });
  return { guard, calls: () => calls, clock };
}

const behind = (extra: Partial<HttpTrigger> = {}): HttpTrigger => ({
  type: 'http',
  method: 'GET',
  path: '/x',
  auth: { type: 'function', function: 'authz', ttl: 60, identitySource: ['header.authorization'] },
  ...extra,
});

describe('RouteGuard', () => {
  it('limits by ip before auth: a flood from one address never reaches the authorizer', async () => {
    const { guard, calls } = guardWith(() => ({ isAuthorized: false }));
    const route = behind({ rateLimit: { requests: 2, perMs: 60_000, burst: 2, by: 'ip' } });
    const codes = [];
    for (let i = 0; i < 10; i++) {
      const v = await guard.check('a', route, request({ authorization: `t${i}` }));
      codes.push(v.ok ? 'ok' : v.error.code);
    }
    assert.deepEqual(codes, ['FORBIDDEN', 'FORBIDDEN', ...Array<string>(8).fill('RATE_LIMITED')]);
    assert.equal(calls(), 2);
  });

  it('caches authorizer answers per identity for ttl, and turns failures into AUTHORIZER_FAILED', async () => {
    const { guard, calls, clock } = guardWith((e) =>
      e.headers['authorization'] === 'boom'
        ? new NimbusError('FUNCTION_ERROR', 'x')
        : e.headers['authorization'] === 'odd'
          ? { allowed: true }
          : { isAuthorized: true, context: { who: e.headers['authorization'] } },
    );
    const route = behind();
    assert.deepEqual(await guard.check('a', route, request({ authorization: 'u1' })), { ok: true, auth: { type: 'function', context: { who: 'u1' } } });
    await guard.check('a', route, request({ authorization: 'u1' }));
    assert.equal(calls(), 1);
    await guard.check('a', route, request({ authorization: 'u2' }));
    assert.equal(calls(), 2);
    clock.advance(60_001);
    await guard.check('a', route, request({ authorization: 'u1' }));
    assert.equal(calls(), 3);
    for (const bad of ['boom', 'odd']) {
      const v = await guard.check('a', route, request({ authorization: bad }));
      assert.equal(v.ok ? 'ok' : v.error.code, 'AUTHORIZER_FAILED', bad);
    }
    const none = await guard.check('a', route, request());
    assert.equal(none.ok ? 'ok' : none.error.code, 'UNAUTHORIZED');
    assert.equal(calls(), 5);
  });

  it('limits by key after auth: each verified key has its own bucket, a wrong key spends nothing', async () => {
    const { guard } = guardWith(() => ({ isAuthorized: true }));
    const route: HttpTrigger = { type: 'http', method: 'GET', path: '/x', auth: { type: 'apiKey', header: 'x-api-key', secret: 'k' }, rateLimit: { requests: 1, perMs: 60_000, burst: 1, by: 'key' } };
    const code = async (key?: string) => {
      const v = await guard.check('a', route, request(key === undefined ? {} : { 'x-api-key': key }));
      return v.ok ? 'ok' : v.error.code;
    };
    assert.deepEqual([await code('wrong'), await code('wrong'), await code(), await code('the-key'), await code('the-key')], ['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED', 'ok', 'RATE_LIMITED']);
  });

  it('refuses every request, as a server problem, when the route’s secret is not set', async () => {
    const { guard } = guardWith(() => ({ isAuthorized: true }));
    const route: HttpTrigger = { type: 'http', method: 'GET', path: '/x', auth: { type: 'apiKey', header: 'x-api-key', secret: 'missing' } };
    const v = await guard.check('a', route, request({ 'x-api-key': 'anything' }));
    assert.equal(v.ok ? 'ok' : v.error.code, 'INTERNAL');
  });
});

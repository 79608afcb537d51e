/**
 * The server that runs the route table, on a tiny table and a MemoryStore: authentication,
 * app-limited keys, scopes, validation and the audit entry, without a node behind it.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { NimbusError } from '../shared/errors.js';
import { MemoryStore } from '../store/index.js';
import { ControlApi } from './api.js';
import { KeyService } from './keys.js';
import { route, type ControlDeps } from './table.js';

const table = [
  route({
    method: 'POST',
    path: '/v1/apps/{app}/things',
    summary: 'make a thing',
    scope: 'deploy',
    app: 'param',
    body: z.object({ size: z.number().int().min(1) }),
    response: z.object({ made: z.number() }),
    errors: ['APP_NOT_FOUND'],
    audit: 'thing.make',
    handle: async ({ params, body }) => {
      if (params['app'] === 'missing') throw new NimbusError('APP_NOT_FOUND', 'no such app');
      return { made: body.size };
    },
  }),
];

describe('ControlApi', () => {
  const store = new MemoryStore();
  const keys = new KeyService({ adminKey: 'admin-secret', secret: randomBytes(32), store });
  const api = new ControlApi({ store, keys, routes: table } as unknown as ControlDeps & { routes: typeof table });
  let url: string;
  let shopDeployer: string;
  let reader: string;
  before(async () => {
    url = `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
    shopDeployer = (await keys.create({ name: 'ci', scope: 'deploy', apps: ['shop'], expiresAt: null })).key;
    reader = (await keys.create({ name: 'ro', scope: 'read', apps: [], expiresAt: null })).key;
  });
  after(() => api.close());

  const post = async (key: string, app: string, body: unknown) => {
    const res = await fetch(`${url}/v1/apps/${app}/things`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { made?: number; error?: { code: string; message: string; details?: { issues: Array<{ path: string }> } } } };
  };

  it('runs the handler with the validated body for a key that may', async () => {
    assert.deepEqual(await post(shopDeployer, 'shop', { size: 3 }), { status: 200, body: { made: 3 } });
    assert.deepEqual(await post('admin-secret', 'blog', { size: 1 }), { status: 200, body: { made: 1 } });
  });

  it('401 for no key or an unknown one; 404 for another app; 403 naming the scope; 400 naming the field', async () => {
    assert.equal((await post('nmb_ci_guessed', 'shop', { size: 1 })).body.error?.code, 'UNAUTHORIZED');
    assert.equal((await post(shopDeployer, 'blog', { size: 1 })).body.error?.code, 'APP_NOT_FOUND');
    const refused = await post(reader, 'shop', { size: 1 });
    assert.equal(refused.status, 403);
    assert.match(refused.body.error?.message ?? '', /has scope read; .* needs scope deploy/);
    const invalid = await post(shopDeployer, 'shop', { size: 0 });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error?.details?.issues[0]?.path, 'size');
  });

  it('audits every call of a mutating route with its outcome', async () => {
    const entries = await store.listAudit({});
    const seen = entries.map((e) => `${e.keyName.replace(/^(nmb_[a-z0-9-]+)_.{4}$/, '$1')} ${e.app} ${e.outcome}`);
    assert.deepEqual(seen.reverse(), ['nmb_ci shop ok', 'admin.key blog ok', 'nmb_ci blog APP_NOT_FOUND', 'nmb_ro shop FORBIDDEN', 'nmb_ci shop BAD_REQUEST']);
  });
});

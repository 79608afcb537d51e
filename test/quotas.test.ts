/**
 * Per-app storage quotas (issue 8, finding 6): one invocation wrote 300 × 1 MB KV values and
 * 3 × 60 MB objects with nothing to stop it. Now each app has a KV and a bucket quota
 * (`--kv-quota`, `--bucket-quota`): a function sees QUOTA_EXCEEDED from its binding call, the
 * control API's PUT answers it, deleting gives room back, and other apps are unaffected.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

// Writes `n` values of `kb` KB (KV) or objects (bucket) and reports how far it got.
const HOG = `
export default {
  async fetch(request, env) {
    const q = new URL(request.url).searchParams;
    const kind = q.get('kind');
    const n = Number(q.get('n'));
    const value = 'x'.repeat(Number(q.get('kb')) * 1024);
    let written = 0;
    try {
      for (; written < n; written++) {
        if (kind === 'kv') await env.STATE.put('k' + written, value);
        else await env.FILES.put('o' + written, value);
      }
      return Response.json({ written });
    } catch (e) {
      return Response.json({ written, code: e.code ?? null, message: e.message });
    }
  },
};
`;

describe('storage quotas', () => {
  let n: TestNimbus;
  const hog = async (app: string, kind: 'kv' | 'bucket', count: number, kb: number) => {
    const res = await n.fetch(`/${app}?kind=${kind}&n=${count}&kb=${kb}`);
    assert.equal(res.status, 200);
    return (await res.json()) as { written: number; code?: string; message?: string };
  };

  before(async () => {
    n = await startTestNimbus({ kvQuotaMb: 1, bucketQuotaMb: 2 });
    for (const app of ['hog', 'calm']) {
      await n.deploy({
        'nimbus.yaml': manifest(app, {
          w: { handler: 'src/w.ts', bindings: { STATE: { kv: `${app}-state` }, FILES: { bucket: `${app}-files` } }, triggers: [{ http: `GET /${app}` }] },
        }),
        'src/w.ts': HOG,
      });
    }
  });
  after(() => n.close());

  it('a function filling its KV quota gets QUOTA_EXCEEDED from put(), and room again after a delete', async () => {
    const r = await hog('hog', 'kv', 300, 100);
    assert.equal(r.code, 'QUOTA_EXCEEDED', JSON.stringify(r));
    assert.equal(r.written, 10, '10 × 100 KB fit in 1 MB, the 11th does not');
    assert.match(r.message ?? '', /--kv-quota/);
    // Overwriting a key with the same size is fine even when full.
    assert.equal((await hog('hog', 'kv', 1, 100)).written, 1);
    // Another app has its own quota.
    assert.deepEqual(await hog('calm', 'kv', 5, 100), { written: 5 });
  });

  it('a function filling its bucket quota gets QUOTA_EXCEEDED, and so does the control API PUT (507)', async () => {
    const r = await hog('hog', 'bucket', 3, 1000);
    assert.equal(r.code, 'QUOTA_EXCEEDED', JSON.stringify(r));
    assert.equal(r.written, 2);
    await assert.rejects(n.client.putObject('hog-files', 'api', Buffer.alloc(200 * 1024)), { code: 'QUOTA_EXCEEDED' });
    const raw = await fetch(`${n.adminUrl}/v1/buckets/hog-files/objects/api`, { method: 'PUT', body: Buffer.alloc(200 * 1024), headers: { authorization: `Bearer ${n.adminKey}` } });
    assert.equal(raw.status, 507);
    assert.equal(((await raw.json()) as { error: { code: string } }).error.code, 'QUOTA_EXCEEDED');
    assert.equal((await n.client.listObjects('hog-files')).objects.length, 2, 'nothing of a refused put is stored');
    // The other app is unaffected.
    await n.client.putObject('calm-files', 'api', Buffer.alloc(200 * 1024));
    // Deleting gives the bytes back.
    await n.client.deleteObject('hog-files', 'o1');
    await n.client.putObject('hog-files', 'api', Buffer.alloc(200 * 1024));
  });
});

/** The key and audit half of the Store contract (called by storeContract in contract.ts). */
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ApiKeyRecord } from '../domain/index.js';
import { rejectsWith } from './contract-fixtures.js';
import type { Store } from './port.js';

const key = (name: string, over: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  id: `key_${name}`,
  name,
  prefix: `nmb_${name}_abcd`,
  scope: 'deploy',
  apps: ['shop'],
  hash: `hash-${name}`,
  secretKind: 'hmac',
  createdAt: 1_000,
  expiresAt: null,
  revokedAt: null,
  lastUsedAt: null,
  ...over,
});

export function keysContract(name: string, make: (clock: () => number) => Promise<Store> | Store): void {
  describe(`Store contract (keys, audit): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await make(() => 1_000);
    });
    afterEach(() => store.close());

    it('finds a key by its hash, lists it, revokes it by name or id once', async () => {
      await store.createKey(key('ci'));
      await store.createKey(key('ops', { scope: 'admin', apps: [] }));
      assert.deepEqual(await store.findKeyByHash('hash-ci'), key('ci'));
      assert.equal(await store.findKeyByHash('nope'), undefined);
      assert.deepEqual(
        (await store.listKeys()).map((k) => k.name),
        ['ci', 'ops'],
      );
      assert.equal((await store.revokeKey('ci', 2_000))?.revokedAt, 2_000);
      assert.equal(await store.revokeKey('ci', 3_000), undefined, 'a revoked key is not revoked again');
      assert.equal((await store.revokeKey('key_ops', 3_000))?.name, 'ops');
      assert.equal((await store.findKeyByHash('hash-ci'))?.revokedAt, 2_000);
    });

    it('refuses a second live key with the same name, but reuses a revoked name', async () => {
      await store.createKey(key('ci'));
      await assert.rejects(store.createKey(key('ci', { id: 'key_2', hash: 'h2' })), rejectsWith('BAD_REQUEST'));
      await store.revokeKey('ci', 2_000);
      await store.createKey(key('ci', { id: 'key_3', hash: 'h3' }));
      assert.equal((await store.listKeys()).length, 2);
    });

    it('finds a key by its AWS access key id, and reseals its secret', async () => {
      const aws = { accessKeyId: 'NIMBAAAABBBBCCCCDDDD', sealedSecret: '{"iv":"a","data":"b","tag":"c"}' };
      await store.createKey(key('sdk', { secretKind: 'sealed', aws }));
      await store.createKey(key('ci'));
      assert.deepEqual(await store.findKeyByAccessKeyId(aws.accessKeyId), key('sdk', { secretKind: 'sealed', aws }));
      assert.equal(await store.findKeyByAccessKeyId('NIMBZZZZZZZZZZZZZZZZ'), undefined);
      assert.equal((await store.findKeyByHash('hash-ci'))?.aws, undefined, 'a bearer-only key has no AWS half');
      await store.resealKeySecrets([{ id: 'key_sdk', sealedSecret: 'resealed' }]);
      assert.equal((await store.findKeyByAccessKeyId(aws.accessKeyId))?.aws?.sealedSecret, 'resealed');
      await store.revokeKey('sdk', 2_000);
      assert.equal((await store.findKeyByAccessKeyId(aws.accessKeyId))?.revokedAt, 2_000, 'revoked keys are found: the caller refuses them');
    });

    it('records last use', async () => {
      await store.createKey(key('ci'));
      await store.touchKey('key_ci', 5_000);
      assert.equal((await store.findKeyByHash('hash-ci'))?.lastUsedAt, 5_000);
    });

    it('lists audit entries newest first, filtered by app, apps and time', async () => {
      const base = { keyId: 'key_ci', keyName: 'nmb_ci_abcd', target: null, outcome: 'ok' };
      await store.appendAudit({ ...base, ts: 1, action: 'app.deploy', app: 'shop' });
      await store.appendAudit({ ...base, ts: 2, action: 'key.create', app: null });
      await store.appendAudit({ ...base, ts: 3, action: 'app.delete', app: 'blog', outcome: 'FORBIDDEN' });
      const all = await store.listAudit({});
      assert.deepEqual(
        all.map((e) => e.action),
        ['app.delete', 'key.create', 'app.deploy'],
      );
      assert.ok(all[0]!.seq > all[1]!.seq);
      assert.equal(all[0]!.outcome, 'FORBIDDEN');
      assert.deepEqual(
        (await store.listAudit({ app: 'shop' })).map((e) => e.ts),
        [1],
      );
      assert.deepEqual(
        (await store.listAudit({ apps: ['shop', 'blog'] })).map((e) => e.ts),
        [3, 1],
      );
      assert.deepEqual(await store.listAudit({ apps: [] }), []);
      assert.deepEqual(
        (await store.listAudit({ appsOnly: true })).map((e) => e.ts),
        [3, 1],
      );
      assert.deepEqual(
        (await store.listAudit({ since: 2 })).map((e) => e.ts),
        [3, 2],
      );
      assert.equal((await store.listAudit({ limit: 1 })).length, 1);
    });

    it('prunes audit entries older than a time, and keeps numbering after them', async () => {
      const base = { keyId: 'key_ci', keyName: 'nmb_ci_abcd', target: null, outcome: 'ok', app: 'shop' };
      for (const ts of [10, 20, 30]) await store.appendAudit({ ...base, ts, action: 'app.deploy' });
      assert.equal(await store.pruneAudit(25), 2);
      await store.appendAudit({ ...base, ts: 40, action: 'app.delete' });
      const left = await store.listAudit({});
      assert.deepEqual(
        left.map((e) => e.ts),
        [40, 30],
      );
      assert.ok(left[0]!.seq > left[1]!.seq, 'a new entry never reuses a number');
    });
  });
}

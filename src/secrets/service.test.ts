import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeClock } from '../shared/clock.js';
import { NimbusError } from '../shared/errors.js';
import { newMasterKey } from './crypto.js';
import { resolveMasterKey, writeKeyFile } from './master-key.js';
import { MemorySecretStore } from './memory.js';
import { Secrets } from './service.js';

const dir = mkdtempSync(join(tmpdir(), 'nimbus-secrets-svc-'));
let dirs = 0;
const nextDir = (): string => mkdtempSync(join(dir, `d${++dirs}-`));
after(() => rmSync(dir, { recursive: true, force: true }));

const code = (c: string) => (err: unknown) => err instanceof NimbusError && err.code === c;

async function make(users: Record<string, string[]> = {}) {
  const store = new MemorySecretStore();
  const dataDir = nextDir();
  const key = await resolveMasterKey({ dataDir, store });
  const changed: string[] = [];
  const secrets = new Secrets({ store, key, clock: new FakeClock(42), users: (app, name) => users[`${app}/${name}`] ?? [], changed: (app, name) => changed.push(`${app}/${name}`) });
  return { store, dataDir, secrets, changed };
}

describe('Secrets service', () => {
  it('sets, lists (names and times only), reads and replaces, telling the runtime on each change', async () => {
    const { secrets, store, changed } = await make();
    assert.deepEqual(await secrets.set('shop', 'db-password', 'hunter2-long'), { name: 'db-password', updatedAt: 42, created: true });
    assert.equal((await secrets.set('shop', 'db-password', 'next-value')).created, false);
    assert.deepEqual(await secrets.list('shop'), [{ name: 'db-password', updatedAt: 42 }]);
    assert.equal(await secrets.get('shop', 'db-password'), 'next-value');
    assert.equal(await secrets.get('blog', 'db-password'), undefined);
    assert.ok(!JSON.stringify(await store.all()).includes('next-value'));
    assert.deepEqual(changed, ['shop/db-password', 'shop/db-password']);
  });

  it('serves repeated reads from memory, and a set or remove is read at once', async () => {
    const { secrets, store } = await make();
    assert.equal(await secrets.get('shop', 'api-key'), undefined);
    await secrets.set('shop', 'api-key', 'first-value');
    assert.equal(await secrets.get('shop', 'api-key'), 'first-value', 'a cached miss is forgotten on set');
    const reads = store.get.bind(store);
    let storeReads = 0;
    store.get = (app, name) => (storeReads++, reads(app, name));
    for (let i = 0; i < 5; i++) assert.equal(await secrets.get('shop', 'api-key'), 'first-value');
    assert.equal(storeReads, 0, 'no store read (and no decryption) per request');
    await secrets.set('shop', 'api-key', 'second-value');
    assert.equal(await secrets.get('shop', 'api-key'), 'second-value');
    await secrets.remove('shop', 'api-key');
    assert.equal(await secrets.get('shop', 'api-key'), undefined);
  });

  it('another node’s change: invalidate drops the cached value and replaces the instances; only local writes are published', async () => {
    const store = new MemorySecretStore();
    const key = await resolveMasterKey({ dataDir: nextDir(), store });
    const published: string[] = [];
    const changed: string[] = [];
    const a = new Secrets({ store, key, clock: new FakeClock(1), published: (app, name) => published.push(`${app}/${name}`) });
    const b = new Secrets({ store, key, clock: new FakeClock(1), changed: (app, name) => changed.push(`${app}/${name}`), published: (app, name) => published.push(`b:${app}/${name}`) });
    await a.set('shop', 'token', 'first-value');
    assert.equal(await b.get('shop', 'token'), 'first-value');
    await a.set('shop', 'token', 'second-value');
    assert.equal(await b.get('shop', 'token'), 'first-value', 'b still has it cached');
    b.invalidate('shop', 'token');
    assert.equal(await b.get('shop', 'token'), 'second-value');
    assert.deepEqual(changed, ['shop/token']);
    assert.deepEqual(published, ['shop/token', 'shop/token']);
  });

  it('refuses bad names, app names, empty and oversized values', async () => {
    const { secrets } = await make();
    assert.throws(() => secrets.set('shop', '1abc', 'x'), code('BAD_REQUEST'));
    assert.throws(() => secrets.set('Shop!', 'abc', 'x'), code('BAD_REQUEST'));
    assert.throws(() => secrets.set('shop', 'abc', ''), code('BAD_REQUEST'));
    assert.throws(() => secrets.set('shop', 'abc', 'é'.repeat(32 * 1024 + 1)), code('VALUE_TOO_LARGE'));
  });

  it('removes, but not while an active function names the secret', async () => {
    const { secrets } = await make({ 'shop/used': ['shop/api'] });
    await secrets.set('shop', 'used', 'value-1');
    await secrets.set('shop', 'free', 'value-2');
    await assert.rejects(secrets.remove('shop', 'used'), (err: unknown) => code('SECRET_IN_USE')(err) && (err as Error).message.includes('shop/api'));
    assert.deepEqual(await secrets.remove('shop', 'free'), { deleted: true });
    await assert.rejects(secrets.remove('shop', 'free'), code('SECRET_NOT_FOUND'));
  });

  it('builds an instance env, naming function, variable and secret when one is missing', async () => {
    const { secrets } = await make();
    await secrets.set('shop', 'db', 'value-db');
    assert.deepEqual(await secrets.envFor('shop', 'api', { DB: 'db' }), { DB: 'value-db' });
    await assert.rejects(secrets.envFor('shop', 'api', { DB: 'db', KEY: 'stripe' }), (err: unknown) => {
      const m = (err as Error).message;
      return code('SECRET_NOT_FOUND')(err) && m.includes('"api"') && m.includes('env.KEY') && m.includes('"stripe"');
    });
  });

  it('after another node rotated the master key, a node on the old key writes nothing and says to restart it with the new key', async () => {
    const store = new MemorySecretStore();
    const old = newMasterKey();
    const next = newMasterKey();
    const a = new Secrets({ store, key: await resolveMasterKey({ dataDir: nextDir(), store, masterKey: old.toString('base64') }), clock: new FakeClock(1) });
    const b = new Secrets({ store, key: await resolveMasterKey({ dataDir: nextDir(), store, masterKey: old.toString('base64') }), clock: new FakeClock(1) });
    await a.set('shop', 'cached', 'value-1');
    await a.set('shop', 'uncached', 'value-2');
    assert.equal(await b.get('shop', 'cached'), 'value-1');
    assert.deepEqual(await a.rotateMaster(next), { rotated: 2, keySource: 'option' });
    const stale = (err: unknown) => code('MASTER_KEY_INVALID')(err) && /restart this node with NIMBUS_MASTER_KEY set to the new key/.test((err as Error).message);
    await assert.rejects(b.set('shop', 'cached', 'sealed-under-the-old-key'), stale);
    await assert.rejects(b.get('shop', 'uncached'), stale);
    await assert.rejects(b.rotateMaster(newMasterKey()), stale);
    await assert.rejects(b.checkMasterKey(), stale);
    assert.equal(await b.get('shop', 'cached'), 'value-1', 'a cached value still serves');
    // Nothing b tried reached the store: a (and b, restarted with the new key) read every value.
    assert.equal(await a.get('shop', 'cached'), 'value-1');
    const restarted = new Secrets({ store, key: await resolveMasterKey({ dataDir: nextDir(), store, masterKey: next.toString('base64') }), clock: new FakeClock(1) });
    assert.equal(await restarted.get('shop', 'cached'), 'value-1');
    assert.equal(await restarted.get('shop', 'uncached'), 'value-2');
    await restarted.checkMasterKey();
  });

  it('rotates the file key: every secret still reads, the file holds the new key, the old key no longer verifies', async () => {
    const { secrets, store, dataDir } = await make();
    await secrets.set('shop', 'a', 'value-a');
    await secrets.set('blog', 'b', 'value-b');
    const before = readFileSync(join(dataDir, 'master.key'), 'utf8');
    assert.deepEqual(await secrets.rotateMaster(), { rotated: 2, keySource: 'file' });
    assert.notEqual(readFileSync(join(dataDir, 'master.key'), 'utf8'), before);
    assert.equal(existsSync(join(dataDir, 'master.key.next')), false);
    assert.equal(await secrets.get('shop', 'a'), 'value-a');
    assert.equal(await secrets.get('blog', 'b'), 'value-b');
    // A restart reads the new file and verifies it.
    assert.equal((await resolveMasterKey({ dataDir, store })).source, 'file');
    await assert.rejects(resolveMasterKey({ dataDir, store, masterKey: before }), code('MASTER_KEY_INVALID'));
  });
});

describe('resolveMasterKey', () => {
  it('creates master.key 0600 on the first start and refuses a missing file once secrets exist', async () => {
    const store = new MemorySecretStore();
    const dataDir = nextDir();
    await resolveMasterKey({ dataDir, store });
    assert.equal((statSync(join(dataDir, 'master.key')).mode & 0o777).toString(8), '600');
    rmSync(join(dataDir, 'master.key'));
    await assert.rejects(resolveMasterKey({ dataDir, store }), (err: unknown) => code('MASTER_KEY_INVALID')(err) && /is missing/.test((err as Error).message));
  });

  it('finishes a rotation that committed but crashed before renaming master.key.next', async () => {
    const store = new MemorySecretStore();
    const dataDir = nextDir();
    const key = await resolveMasterKey({ dataDir, store });
    const secrets = new Secrets({ store, key, clock: new FakeClock(1) });
    await secrets.set('shop', 'a', 'value-a');
    const next = newMasterKey();
    // What rotateMaster does up to the commit, with the old master.key put back (the crash).
    const old = readFileSync(join(dataDir, 'master.key'));
    await secrets.rotateMaster(next);
    writeKeyFile(join(dataDir, 'master.key.next'), next, false);
    writeKeyFile(join(dataDir, 'master.key'), Buffer.from(old.toString('utf8').trim(), 'base64'), false);
    const resolved = await resolveMasterKey({ dataDir, store });
    assert.deepEqual(resolved.key, next);
    assert.equal(existsSync(join(dataDir, 'master.key.next')), false);
    assert.equal(await new Secrets({ store, key: resolved, clock: new FakeClock(1) }).get('shop', 'a'), 'value-a');
  });
});

/**
 * API keys, scopes and the audit trail on a real node over real HTTP: every scope allowed and
 * refused on every route group (core, events, storage, keys, audit), an app-limited key cannot
 * see another app (404 as if it did not exist, filtered lists), expired and revoked keys get 401,
 * a key is shown once and never stored in plaintext, and mutations (refused ones too) are audited.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli/run-cli.js';
import { deployDir, NimbusClient, type CreatedKey } from '../src/client/index.js';
import { NimbusError } from '../src/shared/errors.js';
import { manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const HANDLER = 'export default { fetch: () => Response.json({ ok: true }) };';

function app(name: string): Record<string, string> {
  return {
    'nimbus.yaml': manifest(name, {
      api: { handler: 'src/api.ts', bindings: { FILES: { bucket: `${name}-files` }, EVENTS: { topic: `${name}-events` } }, triggers: [{ http: `GET /${name}` }] },
    }),
    'src/api.ts': HANDLER,
  };
}

/** 'ok', or the error code the call was answered with (a sync invoke's refusal is data, not a throw). */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    const v = (await call) as { status?: unknown; error?: { code: string } | null } | undefined;
    if (v && typeof v === 'object' && typeof v.status === 'number' && v.error) return v.error.code;
    return 'ok';
  } catch (err) {
    if (err instanceof NimbusError) return err.code;
    throw err;
  }
}

/** Every file under `dir`, whole paths. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('API keys and scopes', () => {
  let n: TestNimbus;
  let keys: Record<'deployShop' | 'reader' | 'invokeShop' | 'ops', CreatedKey>;
  let as: Record<keyof typeof keys, NimbusClient>;
  let shopDir: string;
  let blogInvocation: string;

  before(async () => {
    n = await startTestNimbus();
    shopDir = (await n.deploy(app('shop'))).dir;
    await n.deploy(app('blog'));
    blogInvocation = (await n.client.invoke('blog', 'api', {})).invocationId;
    keys = {
      deployShop: await n.client.createKey({ name: 'ci-shop', scope: 'deploy', apps: ['shop'] }),
      reader: await n.client.createKey({ name: 'reader', scope: 'read' }),
      invokeShop: await n.client.createKey({ name: 'inv-shop', scope: 'invoke', apps: ['shop'] }),
      ops: await n.client.createKey({ name: 'ops', scope: 'admin' }),
    };
    const client = (k: CreatedKey) => new NimbusClient({ url: n.adminUrl, key: k.key });
    as = { deployShop: client(keys.deployShop), reader: client(keys.reader), invokeShop: client(keys.invokeShop), ops: client(keys.ops) };
  });
  after(() => n.close());

  it('shows a key once, as nmb_<name>_<256 random bits>, and lists only its prefix', async () => {
    const k = keys.deployShop;
    assert.match(k.key, /^nmb_ci-shop_[A-Za-z0-9_-]{43}$/);
    assert.equal(k.info.prefix, k.key.slice(0, 'nmb_ci-shop_'.length + 4));
    assert.deepEqual(k.info.apps, ['shop']);
    const listed = await n.client.listKeys();
    assert.deepEqual(
      listed.map((x) => x.name),
      ['ci-shop', 'reader', 'inv-shop', 'ops'],
    );
    const text = JSON.stringify(listed);
    for (const created of Object.values(keys)) assert.ok(!text.includes(created.key), 'a listing shows a key');
    assert.ok(!('hash' in listed[0]!), 'a listing shows the HMAC');
  });

  it('keeps no plaintext key in the data dir, and its HMAC secret is 0600', async () => {
    await as.reader.listApps();
    for (const file of walk(n.dataDir)) {
      const bytes = readFileSync(file);
      for (const created of Object.values(keys)) assert.ok(!bytes.includes(created.key), `${file} holds a key in plaintext`);
    }
    assert.equal(statSync(join(n.dataDir, 'key-hmac.secret')).mode & 0o777, 0o600);
  });

  it('core: read lists and describes, deploy deploys and rolls back, invoke only invokes', async () => {
    const { reader, deployShop, invokeShop } = as;
    assert.equal(await outcome(reader.listApps()), 'ok');
    assert.equal(await outcome(reader.getFunction('shop', 'api')), 'ok');
    assert.equal(await outcome(reader.logs('shop', 'api')), 'ok');
    assert.equal(await outcome(reader.invoke('shop', 'api', {})), 'FORBIDDEN');
    assert.equal(await outcome(reader.deleteFunction('shop', 'api')), 'FORBIDDEN');
    assert.equal(await outcome(reader.rollback('shop', 'api')), 'FORBIDDEN');
    assert.equal(await outcome(deployDir(reader, shopDir)), 'FORBIDDEN');

    assert.equal(await outcome(deployDir(deployShop, shopDir)), 'ok');
    assert.equal(await outcome(deployShop.listVersions('shop', 'api')), 'ok');
    assert.equal(await outcome(deployShop.rollback('shop', 'api')), 'VERSION_NOT_FOUND', 'allowed, but there is no earlier version');
    assert.equal(await outcome(deployShop.invoke('shop', 'api', {})), 'FORBIDDEN');

    const run = await invokeShop.invoke('shop', 'api', {});
    assert.equal(run.status, 200);
    assert.equal(await outcome(invokeShop.getInvocation(run.invocationId)), 'ok', 'an invoke key reads the records of its invocations');
    assert.equal(await outcome(invokeShop.invokeAsync('shop', 'api', {})), 'ok');
    assert.equal(await outcome(invokeShop.getFunction('shop', 'api')), 'FORBIDDEN');
    assert.equal(await outcome(invokeShop.listApps()), 'FORBIDDEN');
  });

  it('names the scope a refused key lacks', async () => {
    await assert.rejects(as.reader.deleteApp('shop'), (err: NimbusError) => {
      assert.equal(err.code, 'FORBIDDEN');
      assert.match(err.message, /has scope read; DELETE \/v1\/apps\/\{app\} needs scope deploy/);
      return true;
    });
  });

  it('events: read sees the DLQ and queue, deploy redrives, invoke neither', async () => {
    assert.equal(await outcome(as.reader.listDead('shop', 'api')), 'ok');
    assert.equal(await outcome(as.reader.queueDepth('shop', 'api')), 'ok');
    assert.equal(await outcome(as.reader.redrive('shop', 'api')), 'FORBIDDEN');
    assert.equal(await outcome(as.deployShop.redrive('shop', 'api')), 'ok');
    assert.equal(await outcome(as.invokeShop.listDead('shop', 'api')), 'FORBIDDEN');
    assert.equal(await outcome(as.invokeShop.redrive('shop', 'api')), 'FORBIDDEN');
  });

  it('storage: read lists and gets, deploy puts and deletes objects, invoke publishes', async () => {
    await n.client.putObject('shop-files', 'a.txt', 'hello');
    const { reader, deployShop, invokeShop } = as;
    assert.equal(await outcome(reader.listBuckets()), 'ok');
    assert.equal(await outcome(reader.listTopics()), 'ok');
    assert.equal(await outcome(reader.listObjects('shop-files')), 'ok');
    assert.equal(await outcome(reader.getObject('shop-files', 'a.txt')), 'ok');
    assert.equal(await outcome(reader.headObject('shop-files', 'a.txt')), 'ok');
    assert.equal(await outcome(reader.putObject('shop-files', 'b.txt', 'x')), 'FORBIDDEN');
    assert.equal(await outcome(reader.deleteObject('shop-files', 'a.txt')), 'FORBIDDEN');
    assert.equal(await outcome(reader.publish('shop-events', { hi: 1 })), 'FORBIDDEN');

    assert.equal(await outcome(deployShop.putObject('shop-files', 'b.txt', 'x')), 'ok');
    assert.equal(await outcome(deployShop.deleteObject('shop-files', 'b.txt')), 'ok');
    assert.equal(await outcome(deployShop.publish('shop-events', { hi: 1 })), 'FORBIDDEN');

    assert.equal(await outcome(invokeShop.publish('shop-events', { hi: 1 })), 'ok');
    assert.equal(await outcome(invokeShop.putObject('shop-files', 'c.txt', 'x')), 'FORBIDDEN');
    assert.equal(await outcome(invokeShop.listObjects('shop-files')), 'FORBIDDEN');
  });

  it("secrets: deploy keys manage their apps' secrets, another app's answer 404; read and invoke keys are refused; only admin rotates", async () => {
    const { reader, deployShop, invokeShop } = as;
    assert.equal(await outcome(deployShop.setSecret('shop', 'db-password', 'pw-1')), 'ok');
    assert.equal(await outcome(deployShop.listSecrets('shop')), 'ok');
    assert.equal(await outcome(deployShop.setSecret('blog', 'db-password', 'pw-1')), 'APP_NOT_FOUND', 'another app is invisible');
    assert.equal(await outcome(deployShop.listSecrets('blog')), 'APP_NOT_FOUND');
    for (const k of [reader, invokeShop]) {
      assert.equal(await outcome(k.listSecrets('shop')), 'FORBIDDEN');
      assert.equal(await outcome(k.setSecret('shop', 'db-password', 'x')), 'FORBIDDEN');
      assert.equal(await outcome(k.deleteSecret('shop', 'db-password')), 'FORBIDDEN');
    }
    assert.equal(await outcome(deployShop.rotateMasterKey()), 'FORBIDDEN');
    assert.equal(await outcome(deployShop.deleteSecret('shop', 'db-password')), 'ok');
    const audit = await n.client.audit({ app: 'shop', limit: 1000 });
    assert.ok(audit.some((e) => e.action === 'secret.set' && e.outcome === 'ok' && e.keyName === keys.deployShop.info.prefix));
    assert.ok(!JSON.stringify(audit).includes('pw-1'), 'no value in the audit trail');
  });

  it('keys and audit: only admin keys manage keys; read keys read the audit trail, invoke keys do not', async () => {
    for (const k of [as.reader, as.deployShop, as.invokeShop]) {
      assert.equal(await outcome(k.listKeys()), 'FORBIDDEN');
      assert.equal(await outcome(k.createKey({ name: 'sneaky', scope: 'admin' })), 'FORBIDDEN');
      assert.equal(await outcome(k.revokeKey('ops')), 'FORBIDDEN');
    }
    assert.equal(await outcome(as.ops.listKeys()), 'ok', 'a created admin key manages keys');
    assert.equal(await outcome(as.reader.audit()), 'ok');
    assert.equal(await outcome(as.deployShop.audit()), 'ok');
    assert.equal(await outcome(as.invokeShop.audit()), 'FORBIDDEN');
    for (const k of Object.values(as)) assert.equal(await outcome(k.openApi()), 'ok');
    assert.equal(await outcome(n.client.createKey({ name: 'bad', scope: 'admin', apps: ['shop'] })), 'BAD_REQUEST', 'an admin key cannot be app-limited');
    assert.equal(await outcome(n.client.revokeKey('no-such-key')), 'KEY_NOT_FOUND');
  });

  it('an app-limited key sees other apps as missing: 404, filtered lists', async () => {
    const { deployShop, invokeShop } = as;
    // Another app that exists and one that does not answer alike: no probing.
    for (const other of ['blog', 'nosuch']) {
      assert.equal(await outcome(deployShop.getFunction(other, 'api')), 'FUNCTION_NOT_FOUND');
      assert.equal(await outcome(deployShop.listFunctions(other)), 'APP_NOT_FOUND');
      assert.equal(await outcome(deployShop.deleteApp(other)), 'APP_NOT_FOUND');
      assert.equal(await outcome(deployShop.logs(other, 'api')), 'FUNCTION_NOT_FOUND');
      assert.equal(await outcome(deployShop.listDead(other, 'api')), 'FUNCTION_NOT_FOUND');
      assert.equal(await outcome(invokeShop.invoke(other, 'api', {})), 'FUNCTION_NOT_FOUND');
    }
    const blogGet = await outcome(deployShop.getFunction('blog', 'api'));
    const nosuchGet = await outcome(deployShop.getFunction('nosuch', 'api'));
    assert.equal(blogGet, nosuchGet);
    assert.equal(await outcome(deployShop.listObjects('blog-files')), 'BUCKET_NOT_FOUND');
    assert.equal(await outcome(deployShop.putObject('blog-files', 'x', 'x')), 'BUCKET_NOT_FOUND');
    assert.equal(await outcome(invokeShop.publish('blog-events', {})), 'TOPIC_NOT_FOUND');
    assert.equal(await outcome(invokeShop.getInvocation(blogInvocation)), 'INVOCATION_NOT_FOUND');

    assert.deepEqual(
      (await deployShop.listApps()).map((a) => a.app),
      ['shop'],
    );
    assert.deepEqual(
      (await deployShop.listFunctions()).map((f) => f.app),
      ['shop'],
    );
    assert.deepEqual(
      (await deployShop.listBuckets()).map((b) => b.bucket),
      ['shop-files'],
    );
    assert.deepEqual(
      (await deployShop.listTopics()).map((t) => t.topic),
      ['shop-events'],
    );
    // The admin still sees both, and blog is untouched.
    assert.deepEqual(
      (await n.client.listApps()).map((a) => a.app),
      ['blog', 'shop'],
    );
    assert.equal((await as.reader.listFunctions()).length, 2, 'a key without apps sees every app');
  });

  it('refuses expired and revoked keys with 401', async () => {
    const soon = await n.client.createKey({ name: 'short', scope: 'read', expiresAt: Date.now() + 500 });
    const short = new NimbusClient({ url: n.adminUrl, key: soon.key });
    assert.equal(await outcome(short.listApps()), 'ok');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await outcome(short.listApps()), 'UNAUTHORIZED');

    const gone = await n.client.createKey({ name: 'gone', scope: 'read' });
    const client = new NimbusClient({ url: n.adminUrl, key: gone.key });
    assert.equal(await outcome(client.listApps()), 'ok');
    assert.equal((await n.client.revokeKey('gone')).id, gone.info.id);
    assert.equal(await outcome(client.listApps()), 'UNAUTHORIZED');
    assert.equal(await outcome(n.client.revokeKey('gone')), 'KEY_NOT_FOUND', 'a revoked key cannot be revoked again');
    const forged = new NimbusClient({ url: n.adminUrl, key: `${gone.key.slice(0, -2)}AA` });
    assert.equal(await outcome(forged.listApps()), 'UNAUTHORIZED');
  });

  it('validates requests with the route schemas: 400 with the issue path', async () => {
    const auth = { authorization: `Bearer ${n.adminKey}`, 'content-type': 'application/json' };
    const r = await fetch(`${n.adminUrl}/v1/apps/shop/functions/api/rollback`, { method: 'POST', headers: auth, body: '{"to": 0}' });
    const body = (await r.json()) as { error: { code: string; details: { issues: Array<{ path: string }> } } };
    assert.equal(r.status, 400);
    assert.equal(body.error.code, 'BAD_REQUEST');
    assert.equal(body.error.details.issues[0]?.path, 'to');
    const q = await fetch(`${n.adminUrl}/v1/apps/shop/functions/api/invocations?limit=abc`, { headers: auth });
    assert.equal(q.status, 400);
    const k = await fetch(`${n.adminUrl}/v1/keys`, { method: 'POST', headers: auth, body: '{"name": "Bad Name", "scope": "root"}' });
    const issues = ((await k.json()) as { error: { details: { issues: Array<{ path: string }> } } }).error.details.issues.map((i) => i.path);
    assert.deepEqual(issues.sort(), ['name', 'scope']);
  });

  it('audits mutations with the key, action, app and outcome, refused ones included; no key or body in it', async () => {
    await outcome(deployDir(as.deployShop, shopDir));
    assert.equal(await outcome(as.deployShop.deleteFunction('shop', 'nosuch')), 'FUNCTION_NOT_FOUND');
    assert.equal(await outcome(as.reader.deleteApp('shop')), 'FORBIDDEN');
    assert.equal(await outcome(as.reader.listApps()), 'ok');

    const all = await n.client.audit({ limit: 1000 });
    const find = (action: string, keyName: string, outcomeCode: string) => all.find((e) => e.action === action && e.keyName === keyName && e.outcome === outcomeCode);
    const deploy = find('app.deploy', keys.deployShop.info.prefix, 'ok');
    assert.ok(deploy, 'the deploy by ci-shop is audited');
    assert.equal(deploy.app, 'shop');
    assert.equal(deploy.keyId, keys.deployShop.info.id);
    assert.equal(find('function.delete', keys.deployShop.info.prefix, 'FUNCTION_NOT_FOUND')?.target, 'nosuch');
    assert.equal(find('app.delete', keys.reader.info.prefix, 'FORBIDDEN')?.app, 'shop', 'a refused mutation is audited');
    assert.ok(find('app.deploy', keys.reader.info.prefix, 'FORBIDDEN'), 'the refused deploy by reader is audited');
    assert.ok(find('key.create', 'admin.key', 'ok'), 'key creation is audited');
    assert.ok(find('key.revoke', 'admin.key', 'ok'), 'key revocation is audited');
    assert.ok(find('object.put', keys.deployShop.info.prefix, 'ok'));
    assert.ok(find('topic.publish', keys.invokeShop.info.prefix, 'ok'));
    assert.ok(!all.some((e) => e.action.startsWith('app.list') || e.action === 'GET'), 'reads are not audited');
    const text = JSON.stringify(all);
    for (const created of Object.values(keys)) assert.ok(!text.includes(created.key), 'an audit entry holds a key');

    // Who sees what: an app-limited key only its apps' entries; no admin key, no key management.
    const shopOnly = await as.deployShop.audit({ limit: 1000 });
    assert.ok(shopOnly.length > 0);
    assert.ok(shopOnly.every((e) => e.app === 'shop'));
    const reader = await as.reader.audit({ limit: 1000 });
    assert.ok(
      reader.every((e) => e.app !== null),
      'key management is for admin eyes',
    );
    assert.deepEqual(await as.deployShop.audit({ app: 'blog' }), []);
    const since = await n.client.audit({ since: new Date(Date.now() + 60_000).toISOString() });
    assert.deepEqual(since, []);
  });

  it('CLI: keys create prints the key once, --key / NIMBUS_API_KEY use it, keys ls and audit read back', async () => {
    const env = { NIMBUS_URL: n.adminUrl, NIMBUS_KEY: n.adminKey };
    const made = await runCli(['keys', 'create', '--name', 'cli-made', '--scope', 'read', '--app', 'shop', '--expires', '1d'], { cwd: n.dataDir, env });
    assert.equal(made.code, 0, made.stderr);
    const key = made.stdout.trim();
    assert.match(key, /^nmb_cli-made_[A-Za-z0-9_-]{43}$/);
    assert.match(made.stderr, /not shown again/);

    const ls = await runCli(['--key', key, 'ls', '--json'], { cwd: n.dataDir, env });
    assert.equal(ls.code, 0, ls.stderr);
    assert.ok(!ls.stdout.includes('"blog"'), 'an app-limited key lists only its apps');
    const refused = await runCli(['keys', 'ls'], { cwd: n.dataDir, env: { ...env, NIMBUS_API_KEY: key } });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error \[FORBIDDEN\]: .*needs scope admin/);

    const list = await runCli(['keys', 'ls'], { cwd: n.dataDir, env });
    assert.match(list.stdout, /cli-made\s+nmb_cli-made_\S{4}\s+read\s+shop/);
    assert.ok(!list.stdout.includes(key));
    const audit = await runCli(['audit', '--since', '1h', '--json'], { cwd: n.dataDir, env });
    const entries = (JSON.parse(audit.stdout) as { entries: Array<{ action: string; target: string | null }> }).entries;
    assert.ok(entries.some((e) => e.action === 'key.create' && e.target?.includes('nmb_cli-made_')));
    const revoke = await runCli(['keys', 'revoke', 'cli-made'], { cwd: n.dataDir, env });
    assert.match(revoke.stdout, /^revoked key_/);
  });
});

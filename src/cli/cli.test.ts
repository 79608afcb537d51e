import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeApi, type FakeRequest, errorAnswer, startFakeApi, unreachableUrl } from '../client/fake-api.js';
import { runCli } from './run-cli.js';
import { withConfigDefaults } from '../domain/index.js';

const KEY = 'cli-test-key';
const FN_VIEW = {
  app: 'shop',
  name: 'checkout',
  activeVersion: 1,
  latestVersion: 1,
  createdAt: 0,
  updatedAt: 0,
  codeSize: 100,
  config: withConfigDefaults({ handler: { file: 'src/checkout.ts', export: null } }),
  routes: [],
  instances: { total: 0, busy: 0, idle: 0 },
};

function answer(req: FakeRequest) {
  if (req.method !== 'GET') return undefined;
  const m = /^\/v1\/apps\/([^/]+)\/functions\/([^/]+)$/.exec(req.path);
  if (m?.[2] === 'missing') return errorAnswer(404, 'FUNCTION_NOT_FOUND', `no function ${m[1]}/missing`);
  if (m) return { body: { ...FN_VIEW, app: m[1], name: m[2] } };
  if (req.path === '/v1/functions') return { body: { functions: [] } };
  return undefined;
}

describe('nimbus CLI', () => {
  let api: FakeApi;
  let tmp: string;
  const env = (): Record<string, string> => ({ NIMBUS_URL: api.url, NIMBUS_KEY: KEY });
  const dir = async (name: string): Promise<string> => {
    const d = join(tmp, name);
    await mkdir(d, { recursive: true });
    return d;
  };

  before(async () => {
    api = await startFakeApi(KEY, answer);
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-cli-'));
  });
  after(async () => {
    await api.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('--help lists every command', async () => {
    const r = await runCli(['--help'], { cwd: tmp });
    assert.equal(r.code, 0, r.stderr);
    const commands = ['up', 'init', 'deploy', 'ls', 'info', 'invoke', 'logs', 'versions', 'rollback', 'rm', 'schema'];
    for (const cmd of [...commands, 'invocation']) {
      assert.match(r.stdout, new RegExp(`^  ${cmd}\\b`, 'm'), `--help lacks ${cmd}`);
    }
    const sub = await runCli(['logs', '--help'], { cwd: tmp });
    assert.match(sub.stdout, /--follow/);
  });

  it('init writes a starter app the manifest loader accepts, and refuses to overwrite it', async () => {
    const parent = await dir('init');
    const r = await runCli(['init', 'My_App'], { cwd: parent });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /nimbus up --deploy My_App/);
    const appDir = join(parent, 'My_App');
    const { loadManifest } = await import('../manifest/index.js');
    const { spec } = await loadManifest(appDir);
    assert.equal(spec.app, 'my-app');
    assert.deepEqual(spec.functions['hello']?.handler, { file: 'src/hello.ts', export: null });
    assert.deepEqual(spec.functions['api']?.handler, { file: 'src/api.ts', export: 'handler' });
    for (const fn of Object.values(spec.functions)) assert.equal(fn.triggers[0]?.type, 'http');

    const manifest = await readFile(join(appDir, 'nimbus.yaml'), 'utf8');
    await writeFile(join(appDir, 'src', 'hello.ts'), '// mine');
    const again = await runCli(['init', 'My_App'], { cwd: parent });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error \[BAD_REQUEST\]: .*nimbus\.yaml/);
    assert.equal(await readFile(join(appDir, 'nimbus.yaml'), 'utf8'), manifest);
    assert.equal(await readFile(join(appDir, 'src', 'hello.ts'), 'utf8'), '// mine');
  });

  it('schema prints the manifest JSON Schema', async () => {
    const r = await runCli(['schema'], { cwd: tmp });
    assert.equal(r.code, 0, r.stderr);
    const schema = JSON.parse(r.stdout) as { properties?: Record<string, unknown> };
    assert.ok(schema.properties?.['functions'], 'the schema describes functions');
  });

  it('a bare <fn> takes the app from ./nimbus.yaml, reading only its app: key', async () => {
    const appDir = await dir('named');
    // Not a valid manifest (no functions): naming a function must not need one.
    await writeFile(join(appDir, 'nimbus.yaml'), 'app: shop\nfunctions: {}\n');
    const r = await runCli(['info', 'checkout', '--json'], { cwd: appDir, env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(api.requests.at(-1)?.path, '/v1/apps/shop/functions/checkout');
    assert.deepEqual(JSON.parse(r.stdout), FN_VIEW);
  });

  it('app/name works from any directory', async () => {
    const r = await runCli(['info', 'other/fn'], { cwd: tmp, env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(api.requests.at(-1)?.path, '/v1/apps/other/functions/fn');
    assert.match(r.stdout, /^function +other\/fn$/m);
    assert.match(r.stdout, /^memory +128 MB$/m);
  });

  it('a bare <fn> without nimbus.yaml is a clear error, and nothing is sent', async () => {
    const before = api.requests.length;
    const empty = await dir('empty');
    const r = await runCli(['info', 'checkout'], { cwd: empty, env: env() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error \[BAD_REQUEST\]: "checkout" names no app .*nimbus\.yaml.*"<app>\/checkout"/);
    assert.equal(api.requests.length, before);
    const bad = await runCli(['info', 'a/b/c'], { cwd: empty, env: env() });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error \[BAD_REQUEST\]/);
  });

  it('--json prints the error body on stdout; without it, error [CODE] on stderr', async () => {
    const json = await runCli(['info', 'shop/missing', '--json'], { cwd: tmp, env: env() });
    assert.equal(json.code, 1);
    assert.equal(json.stderr, '');
    assert.deepEqual(JSON.parse(json.stdout), {
      error: { code: 'FUNCTION_NOT_FOUND', message: 'no function shop/missing' },
    });
    const human = await runCli(['info', 'shop/missing'], { cwd: tmp, env: env() });
    assert.equal(human.code, 1);
    assert.equal(human.stdout, '');
    assert.equal(human.stderr, 'error [FUNCTION_NOT_FOUND]: no function shop/missing\n');
  });

  it('falls back to ./.nimbus/admin.key when NIMBUS_KEY is unset', async () => {
    const home = await dir('keyfile');
    await mkdir(join(home, '.nimbus'));
    await writeFile(join(home, '.nimbus', 'admin.key'), `${KEY}\n`);
    const r = await runCli(['ls', '--json'], { cwd: home, env: { NIMBUS_URL: api.url } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { functions: [] });
    assert.equal(api.requests.at(-1)?.headers.authorization, `Bearer ${KEY}`);
  });

  it('without any key, says where a key comes from', async () => {
    const nokey = await dir('nokey');
    assert.ok(!existsSync(join(nokey, '.nimbus')));
    const r = await runCli(['ls'], { cwd: nokey, env: { NIMBUS_URL: api.url } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error \[UNAUTHORIZED\]/);
    assert.match(r.stderr, /NIMBUS_KEY/);
  });

  it('reports an unreachable server as SERVER_UNREACHABLE', async () => {
    const url = await unreachableUrl();
    const r = await runCli(['ls', '--json'], { cwd: tmp, env: { NIMBUS_URL: url, NIMBUS_KEY: KEY } });
    assert.equal(r.code, 1);
    const body = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'SERVER_UNREACHABLE');
    assert.ok(body.error.message.includes(url), body.error.message);
  });
});

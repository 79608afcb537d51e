import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from './load.js';
import { catchManifestError, issueAt } from './assert-issues.js';

// Compiled tests run from dist/src/manifest/: the repository root is three levels up.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

describe('loadManifest', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-load-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function app(name: string, files: Record<string, string>): Promise<string> {
    const dir = join(root, name);
    for (const [file, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, file)), { recursive: true });
      await writeFile(join(dir, file), text);
    }
    return dir;
  }

  it('loads examples/hello and resolves each handler to a file', async () => {
    const loaded = await loadManifest(join(repoRoot, 'examples/hello'));
    assert.equal(loaded.spec.app, 'hello');
    assert.equal(loaded.dir, resolve(repoRoot, 'examples/hello'));
    assert.equal(loaded.file, resolve(repoRoot, 'examples/hello/nimbus.yaml'));
    const handlers = Object.fromEntries(Object.entries(loaded.spec.functions).map(([n, f]) => [n, f.handler]));
    assert.deepEqual(handlers, {
      hello: { file: 'src/hello.ts', export: null },
      echo: { file: 'src/echo.ts', export: 'handler' },
      time: { file: 'src/time.cjs', export: 'handler' },
    });
    assert.deepEqual(loaded.spec.functions['hello']?.triggers, [{ type: 'http', method: 'GET', path: '/hello/{name}' }]);
    assert.deepEqual(loaded.spec.functions['hello']?.env, { GREETING: 'Hello' });
  });

  it('resolves .ts, .js, .mjs, .cjs in that order, and reads nimbus.yml', async () => {
    const dir = await app('order', {
      'nimbus.yml': 'app: order\nfunctions:\n  a: { handler: lib/a.main }\n  b: { handler: lib/b.main }\n',
      'lib/a.js': '',
      'lib/a.mjs': '',
      'lib/b.cjs': '',
    });
    const loaded = await loadManifest(dir);
    assert.equal(loaded.spec.functions['a']?.handler.file, 'lib/a.js');
    assert.equal(loaded.spec.functions['b']?.handler.file, 'lib/b.cjs');
    assert.equal(loaded.file, join(dir, 'nimbus.yml'));
  });

  it('names the function, key, line and files tried when a handler is missing', async () => {
    const dir = await app('missing', {
      'nimbus.yaml': 'app: missing\nfunctions:\n  ok: { handler: ok.ts }\n  gone:\n    handler: src/gone.handler\n  typo:\n    handler: src/hello.tss.ts\n',
      'ok.ts': 'export default {}',
      'src/gone': 'a directory would do too; a file without extension is not tried',
    });
    const caught = await catchManifestError(() => loadManifest(dir));
    const gone = issueAt(caught, 'functions.gone.handler');
    assert.equal(gone.line, 5);
    assert.equal(gone.column, 14);
    assert.match(gone.message, /handler file of function "gone" is missing \(tried .*src\/gone\.ts, .*src\/gone\.js, .*src\/gone\.mjs, .*src\/gone\.cjs\)/);
    assert.match(issueAt(caught, 'functions.typo.handler').message, /\(tried .*src\/hello\.tss\.ts\): fix the path or create the file/);
    assert.match(caught.error.message, new RegExp(`${join(dir, 'nimbus.yaml')}:7:14 functions\\.typo\\.handler:`));
    assert.equal(caught.issues.length, 2);
  });

  it('tells the user to run nimbus init when there is no manifest', async () => {
    const dir = await app('empty', { 'README.md': '' });
    const caught = await catchManifestError(() => loadManifest(dir));
    assert.equal(caught.error.message, `no nimbus.yaml (nor serverless.yml or SAM template.yaml) in ${dir}; run \`nimbus init\` to create one, or pass the app's directory`);
  });

  it('reports manifest errors with the path of the file', async () => {
    const dir = await app('bad', { 'nimbus.yaml': 'app: bad\nfunctions:\n  f: { handler: f.ts, memory: 1 }\n', 'f.ts': '' });
    const caught = await catchManifestError(() => loadManifest(dir));
    assert.match(caught.error.message, new RegExp(`${join(dir, 'nimbus.yaml')}:3:31 functions\\.f\\.memory: must be at least 64 \\(got 1\\)`));
  });
});

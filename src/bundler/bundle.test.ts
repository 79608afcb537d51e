import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionConfig } from '../domain/types.js';
import { loadManifest } from '../manifest/index.js';
import { NimbusError } from '../shared/errors.js';
import { bundleApp, bundleFunction } from './index.js';
import { withConfigDefaults } from '../domain/index.js';

// Compiled tests run from dist/src/bundler/: the repository root is three levels up.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function config(file: string, exportName: string | null = null): FunctionConfig {
  return withConfigDefaults({ handler: { file, export: exportName } });
}

/** Imports a bundle the way the sandbox does: from a data: URL, with nothing to resolve beside it. */
async function load(code: string): Promise<Record<string, any>> {
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

async function bundleError(promise: Promise<unknown>): Promise<NimbusError> {
  const err = await promise.then(
    () => assert.fail('expected BUNDLE_FAILED'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof NimbusError, String(err));
  assert.equal(err.code, 'BUNDLE_FAILED');
  return err;
}

describe('bundleFunction', () => {
  let app = '';
  before(async () => {
    app = await mkdtemp(join(tmpdir(), 'nimbus-bundle-'));
    const files: Record<string, string> = {
      'src/web.ts': `
        interface Env { GREETING?: string }
        export default {
          async fetch(request: Request, env: Env): Promise<Response> {
            return new Response(\`\${env.GREETING ?? 'hi'} \${new URL(request.url).pathname}\`);
          },
        };`,
      'src/legacy.cjs': `
        const os = require('node:os');
        exports.handler = async (event) => ({ got: event, platform: os.platform() });`,
      'src/plain.js': `exports.handler = async () => 'plain js is CommonJS without "type": "module"';`,
      'src/esm.ts': `
        import { basename } from 'node:path';
        export const lambdaHandler = async (event: { path: string }) => ({ statusCode: 200, body: basename(event.path) });`,
      'src/pad.ts': `
        import leftPad from 'left-pad-lite';
        export const handler = async (event: { n: number }) => leftPad(String(event.n), 5, '0');`,
      'node_modules/left-pad-lite/package.json': JSON.stringify({ name: 'left-pad-lite', version: '1.0.0', main: 'index.js' }),
      'node_modules/left-pad-lite/index.js': `
        const { EOL } = require('os'); // a builtin required from CommonJS inside the ESM bundle
        module.exports = function leftPad(s, n, c) { return EOL ? s.padStart(n, c) : s; };`,
      'src/self-require.mjs': `
        import { createRequire } from 'node:module';
        const require = createRequire(import.meta.url);
        export const handler = async () => require('node:os').platform();`,
      'src/broken.ts': 'export const handler = async () => {\n  return { ok: true ;\n};\n',
      'src/nothing.ts': 'export const helper = 1;\n',
    };
    for (const [file, text] of Object.entries(files)) {
      await mkdir(dirname(join(app, file)), { recursive: true });
      await writeFile(join(app, file), text);
    }
  });
  after(async () => {
    await rm(app, { recursive: true, force: true });
  });

  it('bundles a TypeScript web-style module', async () => {
    const bundle = await bundleFunction(app, 'web', config('src/web.ts'));
    const mod = await load(bundle.code);
    const response: Response = await mod['default'].fetch(new Request('http://x/hello'), { GREETING: 'hey' });
    assert.equal(await response.text(), 'hey /hello');
  });

  it('bundles CommonJS Lambda handlers, with require for builtins', async () => {
    const cjs = await load((await bundleFunction(app, 'legacy', config('src/legacy.cjs', 'handler'))).code);
    assert.deepEqual(await cjs['default'].handler({ a: 1 }), { got: { a: 1 }, platform: process.platform });
    const js = await load((await bundleFunction(app, 'plain', config('src/plain.js'))).code);
    assert.match(await js['default'].handler(), /plain js is CommonJS/);
  });

  it('bundles an ESM Lambda handler with a named export', async () => {
    const mod = await load((await bundleFunction(app, 'esm', config('src/esm.ts', 'lambdaHandler'))).code);
    assert.deepEqual(await mod['lambdaHandler']({ path: '/a/b/c.txt' }), { statusCode: 200, body: 'c.txt' });
  });

  it('lets ESM code build a require from import.meta.url', async () => {
    const mod = await load((await bundleFunction(app, 'self', config('src/self-require.mjs', 'handler'))).code);
    assert.equal(await mod['handler'](), process.platform);
  });

  it('inlines npm dependencies from the app directory', async () => {
    const bundle = await bundleFunction(app, 'pad', config('src/pad.ts', 'handler'));
    // A data: URL cannot resolve a bare specifier, so a left-over import would fail to load.
    assert.doesNotMatch(bundle.code, /from\s*"left-pad-lite"/);
    const mod = await load(bundle.code);
    assert.equal(await mod['handler']({ n: 42 }), '00042');
  });

  it('hashes and measures the code, deterministically', async () => {
    const a = await bundleFunction(app, 'esm', config('src/esm.ts', 'lambdaHandler'));
    const b = await bundleFunction(app, 'esm', config('src/esm.ts', 'lambdaHandler'));
    assert.equal(a.codeHash, createHash('sha256').update(a.code).digest('hex'));
    assert.equal(a.size, Buffer.byteLength(a.code));
    assert.equal(a.codeHash, b.codeHash);
    assert.ok(a.code.startsWith('import{createRequire as __nimbusCreateRequire}from"node:module";'));
  });

  it('reports a syntax error with file, line and column', async () => {
    const err = await bundleError(bundleFunction(app, 'broken', config('src/broken.ts', 'handler')));
    assert.match(err.message, /^cannot bundle function "broken":\n {2}src\/broken\.ts:2:21: Expected "}" but found ";"/);
    assert.equal(err.details?.['function'], 'broken');
    assert.deepEqual(err.details?.['errors'], [{ file: 'src/broken.ts', line: 2, column: 21, text: 'Expected "}" but found ";"' }]);
  });

  it('reports a missing named export, listing the exports there are', async () => {
    const err = await bundleError(bundleFunction(app, 'esm', config('src/esm.ts', 'handler')));
    assert.match(err.message, /function "esm":\n {2}src\/esm\.ts: no export named "handler" \(it exports: lambdaHandler\)/);
  });

  it('reports a module handler that exports neither a default nor handler', async () => {
    const err = await bundleError(bundleFunction(app, 'nothing', config('src/nothing.ts')));
    assert.match(err.message, /src\/nothing\.ts: exports neither a default .* nor "handler" \(it exports: helper\)/);
  });

  it('reports an unresolvable import', async () => {
    await writeFile(join(app, 'src/missing-dep.ts'), "import x from 'not-installed';\nexport default x;\n");
    const err = await bundleError(bundleFunction(app, 'dep', config('src/missing-dep.ts')));
    assert.match(err.message, /src\/missing-dep\.ts:1:15: Could not resolve "not-installed"/);
  });

  it('bundles a whole app and reports every failing function at once', async () => {
    const spec = {
      app: 'mixed',
      functions: { web: config('src/web.ts'), broken: config('src/broken.ts', 'handler'), esm: config('src/esm.ts', 'nope') },
    };
    const err = await bundleError(bundleApp(app, spec));
    assert.deepEqual(err.details?.['functions'], ['broken', 'esm']);
    assert.match(err.message, /function "broken"[\s\S]*function "esm"/);
    const errors = err.details?.['errors'] as { function: string }[];
    assert.deepEqual(
      errors.map((e) => e.function),
      ['broken', 'esm'],
    );
  });
});

describe('bundleApp', () => {
  it('bundles examples/hello into working handlers', async () => {
    const { spec, dir } = await loadManifest(join(repoRoot, 'examples/hello'));
    const bundles = await bundleApp(dir, spec);
    assert.deepEqual(Object.keys(bundles).sort(), ['echo', 'hello', 'time']);

    const hello = await load(bundles['hello']?.code ?? '');
    const res: Response = await hello['default'].fetch(new Request('http://x/hello/Ada%20L'), { GREETING: 'Hi' });
    assert.equal(await res.text(), 'Hi, Ada L!\n');

    const echo = await load(bundles['echo']?.code ?? '');
    const event = { rawPath: '/echo/a', queryStringParameters: { x: '1' }, body: 'hi', isBase64Encoded: false, requestContext: { http: { method: 'POST' } } };
    const out = await echo['handler'](event, { awsRequestId: 'r1' });
    assert.equal(out.statusCode, 200);
    assert.deepEqual(JSON.parse(out.body), { method: 'POST', path: '/echo/a', query: { x: '1' }, body: 'hi' });

    const time = await load(bundles['time']?.code ?? '');
    const now = await time['default'].handler();
    assert.equal(typeof now.iso, 'string');
  });
});

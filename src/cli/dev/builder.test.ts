import { strict as assert } from 'node:assert';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppBuilder } from './builder.js';

describe('nimbus dev: AppBuilder', () => {
  let dir: string;
  const write = async (path: string, text: string) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nimbus-builder-'));
    await write('nimbus.yaml', 'app: b\nfunctions:\n  a:\n    handler: src/a.ts\n  b:\n    handler: src/b.ts\n');
    await write('src/a.ts', "import { x } from './shared.js';\nexport default { fetch: () => new Response(x) };\n");
    await write('src/b.ts', "export default { fetch: () => new Response('b') };\n");
    await write('src/shared.ts', "export const x = 'a';\n");
    await write('README.txt', 'not code');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('rebuilds only the functions that read a changed file, and nothing for unrelated files', async () => {
    const b = new AppBuilder(dir);
    const first = await b.build();
    assert.deepEqual(first?.rebuilt.sort(), ['a', 'b']);
    assert.ok(b.files().includes(join(dir, 'src/shared.ts')), 'imports are watched');
    assert.equal(b.concerns(join(dir, 'README.txt')), false);
    await write('src/shared.ts', "export const x = 'A';\n");
    const second = await b.build(new Set([join(dir, 'src/shared.ts')]));
    assert.deepEqual(second?.rebuilt, ['a']);
    assert.equal(second?.bundles['b']?.codeHash, first?.bundles['b']?.codeHash);
    assert.notEqual(second?.bundles['a']?.codeHash, first?.bundles['a']?.codeHash);
    assert.equal(await b.build(new Set([join(dir, 'README.txt')])), undefined);
  });

  it('throws the build error, then retries the broken function on the next change of any file', async () => {
    const b = new AppBuilder(dir);
    await b.build();
    await write('src/b.ts', 'export default {;\n');
    await assert.rejects(b.build(new Set([join(dir, 'src/b.ts')])), { code: 'BUNDLE_FAILED' });
    assert.equal(b.concerns(join(dir, 'README.txt')), true, 'after a failure every save retries');
    await write('src/b.ts', "export default { fetch: () => new Response('b2') };\n");
    const fixed = await b.build(new Set([join(dir, 'README.txt')]));
    assert.deepEqual(fixed?.rebuilt, ['b']);
  });
});

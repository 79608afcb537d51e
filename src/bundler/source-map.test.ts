/**
 * The bundle's source map, as the sandbox reads it: CompactSourceMap agrees with node:module's
 * SourceMap on a real bundle (a few npm dependencies inlined), and a stack thrown in the bundle
 * names the user's file, line and function.
 */
import { after, before, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withConfigDefaults } from '../domain/index.js';
import { CompactSourceMap } from '../sandbox/source-map.js';
import { BUNDLE_NAME, installStackMapping, prepareBundle, userFrame } from '../sandbox/stack.js';
import { bundleFunction } from './index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const MARKER = '//# sourceMappingURL=data:application/json;base64,';

describe('bundle source maps', () => {
  let app = '';
  let code = '';
  before(async () => {
    app = await mkdtemp(join(tmpdir(), 'nimbus-sourcemap-'));
    await mkdir(join(app, 'src'));
    await symlink(join(repoRoot, 'node_modules'), join(app, 'node_modules'));
    await writeFile(
      join(app, 'src', 'util.ts'),
      "export function inner(x: number): number {\n  if (x > 0) throw new Error('mapped ' + x);\n  return x;\n}\nexport function outer(x: number): number {\n  return inner(x) + 1;\n}\n",
    );
    await writeFile(
      join(app, 'src', 'h.ts'),
      "import { z } from 'zod';\nimport { parse } from 'yaml';\nimport { outer } from './util.js';\nexport async function handler(e: { n: number; doc?: string }) {\n  z.object({ n: z.number() }).parse(e);\n  return outer(e.n) + (e.doc ? Object.keys(parse(e.doc)).length : 0);\n}\n",
    );
    code = (await bundleFunction(app, 'h', withConfigDefaults({ handler: { file: 'src/h.ts', export: 'handler' } }))).code;
  });
  after(() => rm(app, { recursive: true, force: true }));

  it('the bundle carries an inline map of the app-relative sources, without their text', () => {
    const at = code.lastIndexOf(MARKER);
    assert.ok(at > 0, 'an inline source map');
    const map = JSON.parse(Buffer.from(code.slice(at + MARKER.length).trim(), 'base64').toString('utf8')) as { sources: string[]; sourcesContent?: unknown };
    assert.ok(map.sources.includes('src/util.ts'), map.sources.slice(0, 5).join(', '));
    // (Through the test's symlink, esbuild names the real path of node_modules.)
    assert.ok(map.sources.some((s) => s.includes('node_modules/zod/')));
    assert.equal(map.sourcesContent, undefined);
  });

  it('CompactSourceMap finds what node:module SourceMap finds, everywhere on the bundle', () => {
    const at = code.lastIndexOf(MARKER);
    const raw = JSON.parse(Buffer.from(code.slice(at + MARKER.length).trim(), 'base64').toString('utf8')) as ConstructorParameters<typeof SourceMap>[0];
    const ours = new CompactSourceMap(raw);
    const node = new SourceMap(raw);
    const lines = code.slice(0, at).split('\n');
    let compared = 0;
    lines.forEach((text, l) => {
      // Every 7th column: ~100k lookups over a ~570 KB bundle.
      for (let c = 0; c < text.length; c += 7) {
        const want = node.findEntry(l, c) as Partial<{ generatedLine: number; originalSource: string; originalLine: number; originalColumn: number; name: string }>;
        const got = ours.find(l + 1, c + 1);
        if (want.originalSource === undefined || want.generatedLine !== l) continue;
        compared++;
        // Names are not compared: Node 20 carries a segment's name over to the unnamed segments after it.
        assert.deepEqual(got && [got.source, got.line, got.column], [want.originalSource, (want.originalLine ?? 0) + 1, (want.originalColumn ?? 0) + 1], `line ${l + 1} column ${c + 1}`);
      }
    });
    assert.ok(compared > 10_000, `compared ${compared} positions`);
  });

  it('a throw in the bundle reads in the user\u2019s files, lines and function names', async () => {
    const previous = Object.getOwnPropertyDescriptor(Error, 'prepareStackTrace');
    installStackMapping();
    try {
      const mod = (await import(`data:text/javascript;base64,${Buffer.from(prepareBundle(code)).toString('base64')}`)) as { handler: (e: unknown) => Promise<number> };
      const err = await mod.handler({ n: 2 }).then(
        () => assert.fail('expected a throw'),
        (e: unknown) => e as Error,
      );
      assert.match(err.stack ?? '', /^Error: mapped 2\n\s+at inner \(src\/util\.ts:2:\d+\)\n\s+at outer \(src\/util\.ts:6:\d+\)\n\s+at handler \(src\/h\.ts:6:\d+\)/);
      assert.doesNotMatch(err.stack ?? '', /data:text|base64/);
      assert.match(userFrame(err) ?? '', /^src\/util\.ts:2:\d+$/);
      // A frame the map does not cover still carries the bundle's short name, never the data: URL.
      assert.ok(!(err.stack ?? '').includes(BUNDLE_NAME) || /\/nimbus\/function\.js:\d+:\d+/.test(err.stack ?? ''));
    } finally {
      if (previous) Object.defineProperty(Error, 'prepareStackTrace', previous);
      else delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
    }
  });
});

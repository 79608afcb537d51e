/**
 * What source maps cost (not part of `npm run bench`: run `node dist/bench/sourcemaps.js`).
 * For a small handler (examples/hello) and a large one (zod + yaml inlined), prints the stored
 * bundle's size without and with its inline map, and the load time of a fresh process importing
 * it as the sandbox does (data: URL) the old way (no map) and the new way (`prepareBundle`: the
 * map taken off and kept, stack mapping installed), in interleaved rounds; plus the first mapped
 * stack (the map is parsed then). Ratios within a round, medians over rounds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleFunction } from '../src/bundler/index.js';
import { parseManifest } from '../src/manifest/index.js';

const ROUNDS = Number(process.env['ROUNDS'] ?? 15);
const MARKER = '//# sourceMappingURL=data:application/json;base64,';
const STACK_JS = pathToFileURL(fileURLToPath(new URL('../src/sandbox/stack.js', import.meta.url))).href;
const MAP_JS = pathToFileURL(fileURLToPath(new URL('../src/sandbox/source-map.js', import.meta.url))).href;

/** The child: import the bundle in `file` the old or the new way; print the ms it took (and the first stack's). */
const CHILD = `
const { readFileSync } = await import('node:fs');
const { SourceMap } = await import('node:module');
const { CompactSourceMap } = await import(${JSON.stringify(MAP_JS)});
const s = await import(${JSON.stringify(STACK_JS)});
const [mode, file] = process.argv.slice(1);
const stored = readFileSync(file, 'utf8');
const at = stored.lastIndexOf(${JSON.stringify(MARKER)});
const code = mode === 'new' || at === -1 ? stored : stored.slice(0, at);
if (mode === 'new') s.installStackMapping();
const wire = JSON.stringify({ t: 'load', code });
const t0 = performance.now();
// What the sandbox does from the load message on: parse it, prepare the code, import it.
const message = JSON.parse(wire);
const text = mode === 'new' ? s.prepareBundle(message.code) : message.code;
await import('data:text/javascript;base64,' + Buffer.from(text).toString('base64'));
const load = performance.now() - t0;
let parse = 0;
let nodeParse = 0;
if (mode === 'new' && at !== -1) {
  const raw = () => JSON.parse(Buffer.from(stored.slice(at + ${JSON.stringify(MARKER)}.length).trim(), 'base64').toString('utf8'));
  const t1 = performance.now();
  new CompactSourceMap(raw()).find(1, 10);
  parse = performance.now() - t1;
  const t2 = performance.now();
  new SourceMap(raw()).findEntry(0, 10);
  nodeParse = performance.now() - t2;
}
console.log(JSON.stringify({ load, stack: parse, nodeStack: nodeParse }));
`;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function bundleOf(dir: string, fn: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const spec = parseManifest(await readFile(join(dir, 'nimbus.yaml'), 'utf8'), join(dir, 'nimbus.yaml'));
  const config = spec.functions[fn];
  if (config === undefined) throw new Error(`no function ${fn} in ${dir}`);
  return (await bundleFunction(dir, fn, config)).code;
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'nimbus-sourcemaps-'));
  try {
    const big = join(tmp, 'big');
    await mkdir(join(big, 'src'), { recursive: true });
    await writeFile(join(big, 'nimbus.yaml'), 'app: big\nfunctions:\n  f:\n    handler: src/f.handler\n');
    await writeFile(
      join(big, 'src', 'f.ts'),
      `import { z } from 'zod';\nimport { parse } from 'yaml';\nexport async function handler(e: unknown) { return z.object({ a: z.number() }).parse(parse(String(e))); }\n`,
    );
    const { symlink } = await import('node:fs/promises');
    await symlink(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(big, 'node_modules'));
    const cases = [
      { name: 'examples/hello (small)', code: await bundleOf(fileURLToPath(new URL('../../examples/hello', import.meta.url)), 'hello') },
      { name: 'zod + yaml (large)', code: await bundleOf(big, 'f') },
    ];
    for (const c of cases) {
      const file = join(tmp, `${c.name.replace(/\W+/g, '-')}.js`);
      await writeFile(file, c.code);
      const at = c.code.lastIndexOf(MARKER);
      const before = Buffer.byteLength(at === -1 ? c.code : c.code.slice(0, at));
      const after = Buffer.byteLength(c.code);
      const loads: Record<'old' | 'new', number[]> = { old: [], new: [] };
      const ratios: number[] = [];
      const stacks: number[] = [];
      const nodeStacks: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const round: Partial<Record<'old' | 'new', number>> = {};
        for (const mode of r % 2 === 0 ? (['old', 'new'] as const) : (['new', 'old'] as const)) {
          const out = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, mode, file], { encoding: 'utf8' });
          const m = JSON.parse(out.stdout) as { load: number; stack: number; nodeStack: number };
          loads[mode].push(m.load);
          round[mode] = m.load;
          if (mode === 'new') {
            stacks.push(m.stack);
            nodeStacks.push(m.nodeStack);
          }
        }
        ratios.push((round.new ?? NaN) / (round.old ?? NaN));
      }
      console.log(`${c.name}`);
      console.log(`  bundle bytes    before ${before}  after ${after}  (×${(after / before).toFixed(2)})`);
      console.log(`  load ms median  before ${median(loads.old).toFixed(2)}  after ${median(loads.new).toFixed(2)}  ratio ${median(ratios).toFixed(2)} (${ROUNDS} rounds)`);
      console.log(`  first mapped stack: map decode ms median ${median(stacks).toFixed(2)} (node:module SourceMap: ${median(nodeStacks).toFixed(2)})`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();

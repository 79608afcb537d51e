/**
 * Errors a user can read: stack traces name the user's files and lines (the bundle's source map,
 * applied in the sandbox), in the log, in the invocation record and in what `invoke` answers; and
 * an instance that fails while its module loads logs the error, never the bundle's source.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const UTIL = `export function inner(x: number): number {
  if (x > 0) throw new Error('util-boom ' + x);
  return x;
}

export function outer(x: number): number {
  return inner(x) + 1;
}
`;

// ~400 KB of code, so the bundle is as large as one with a few npm dependencies.
const BIG = `export const table: Record<string, (n: number) => number> = {\n${Array.from({ length: 8000 }, (_, i) => `  f${i}: (n: number) => n * ${i} + ${i % 7},`).join('\n')}\n};\n`;

const FILES: Record<string, string> = {
  'nimbus.yaml': manifest('traces', {
    nested: { handler: 'src/nested.handler' },
    loadthrow: { handler: 'src/load-throw.handler' },
    loadreject: { handler: 'src/load-reject.handler' },
  }),
  'src/util.ts': UTIL,
  'src/big.ts': BIG,
  'src/nested.ts': `import { outer } from './util.js';
export async function handler(event: { n: number }): Promise<number> {
  return outer(event.n);
}
`,
  'src/load-throw.ts': `import { table } from './big.js';
import { outer } from './util.js';
export const value = (table['f1']?.(1) ?? 0) + outer(2);
export async function handler(): Promise<number> {
  return value;
}
`,
  // Fails after the import itself went well: a rejection nobody handles while top-level await waits.
  'src/load-reject.ts': `import { table } from './big.js';
import { outer } from './util.js';
void Promise.resolve().then(() => outer(Object.keys(table).length));
await new Promise((resolve) => setTimeout(resolve, 100));
export async function handler(): Promise<number> {
  return 1;
}
`,
};

describe('stack traces in the user\u2019s sources', () => {
  let nimbus: TestNimbus;
  // Lines are committed in batches: wait for the invocation's REPORT line, the last one it gets.
  const logText = (fn: string, id: string): Promise<string> =>
    eventually(
      async () => {
        const { lines } = await nimbus.client.logs('traces', fn, { invocation: id });
        return lines.some((l) => l.stream === 'system' && l.line.startsWith('REPORT')) ? lines.map((l) => l.line).join('\n') : undefined;
      },
      10_000,
      `the log of ${fn}`,
    );

  before(async () => {
    nimbus = await startTestNimbus();
    await nimbus.deploy(FILES);
  });
  after(() => nimbus.close());

  it('a throw in a nested function of src/util.ts names src/util.ts and its line in the log, the record and the answer', async () => {
    const out = await nimbus.client.invoke('traces', 'nested', { n: 3 });
    assert.equal(out.error?.code, 'FUNCTION_ERROR');
    assert.match(out.error?.message ?? '', /util-boom 3 \(at src\/util\.ts:2:\d+\)/);
    const record = await nimbus.client.getInvocation(out.invocationId);
    assert.match(record.errorMessage ?? '', /\(at src\/util\.ts:2:\d+\)/);
    const log = await logText('nested', out.invocationId);
    assert.match(log, /Error: util-boom 3/);
    assert.match(log, /at inner \(src\/util\.ts:2:\d+\)/);
    assert.match(log, /at outer \(src\/util\.ts:7:\d+\)/);
    assert.match(log, /at handler \(src\/nested\.ts:3:\d+\)/);
    assert.doesNotMatch(log, /base64|data:text/);
  });

  for (const [fn, what] of [
    ['loadthrow', 'Init error: Error: util-boom 2'],
    ['loadreject', 'Unhandled promise rejection: Error: util-boom 8000'],
  ] as const) {
    it(`a module-load failure (${fn}) logs the error and its mapped stack, not the ~400 KB bundle`, async () => {
      const out = await nimbus.client.invoke('traces', fn, {});
      assert.equal(out.error?.code, 'FUNCTION_INIT_ERROR', JSON.stringify(out.error));
      assert.match(out.error?.message ?? '', /util-boom \d+ \(at src\/util\.ts:2:\d+\)/);
      const log = await logText(fn, out.invocationId);
      assert.ok(log.includes(what), log.slice(0, 2000));
      assert.match(log, /at inner \(src\/util\.ts:2:\d+\)/);
      assert.match(log, /src\/load-(throw|reject)\.ts:3:\d+/);
      assert.doesNotMatch(log, /base64|data:text/);
      assert.ok(log.length < 4096, `the log is ${log.length} characters`);
    });
  }
});

/** The summary `npm test` ends with: scripts/test-summary-reporter.mjs, fed the events node:test emits. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

type Reporter = (source: AsyncIterable<{ type: string; data: Record<string, unknown> }>) => AsyncGenerator<string>;

async function* events(list: Array<[string, Record<string, unknown>]>): AsyncGenerator<{ type: string; data: Record<string, unknown> }> {
  for (const [type, data] of list) yield { type, data };
}

describe('test summary reporter', () => {
  it('counts leaf tests and names each failure with its suites and file; a failed hook is listed once, by its suite', async () => {
    const url = new URL('../../scripts/test-summary-reporter.mjs', import.meta.url).href;
    const reporter = ((await import(url)) as { default: Reporter }).default;
    const file = '/repo/dist/test/a.test.js';
    const out: string[] = [];
    for await (const chunk of reporter(
      events([
        ['test:start', { name: 'suite', nesting: 0, file }],
        ['test:start', { name: 'ok one', nesting: 1, file }],
        ['test:pass', { name: 'ok one', nesting: 1, file, details: { duration_ms: 1 } }],
        ['test:start', { name: 'bad one', nesting: 1, file }],
        ['test:fail', { name: 'bad one', nesting: 1, file, details: { duration_ms: 1, error: new Error('wrapped', { cause: new Error('expected 200\nmore') }) } }],
        ['test:pass', { name: 'later', nesting: 1, file, skip: true, details: {} }],
        ['test:fail', { name: 'suite', nesting: 0, file, details: { type: 'suite', error: new Error('1 subtest failed') } }],
        ['test:start', { name: 'hooked', nesting: 0, file }],
        ['test:start', { name: 'never ran', nesting: 1, file }],
        ['test:fail', { name: 'never ran', nesting: 1, file, details: { error: Object.assign(new Error('cancelled'), { failureType: 'cancelledByParent' }) } }],
        ['test:fail', { name: 'hooked', nesting: 0, file, details: { type: 'suite', error: Object.assign(new Error('before hook'), { failureType: 'hookFailed' }) } }],
      ]),
    ))
      out.push(chunk);
    const summary = JSON.parse(out.join('')) as { passed: number; failed: number; cancelled: number; skipped: number; failures: Array<{ name: string; file: string; error: string }> };
    assert.deepEqual([summary.passed, summary.failed, summary.cancelled, summary.skipped], [1, 2, 1, 1]);
    assert.deepEqual(
      summary.failures.map((f) => [f.name, f.file, f.error]),
      [
        ['suite > bad one', file, 'Error: expected 200'],
        ['hooked', file, 'Error: before hook'],
      ],
    );
  });
});

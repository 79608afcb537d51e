/**
 * Log quotas and the minInstances cap, end to end (issue 8, findings 6 and 9): a function floods
 * its log through every path it has (console, raw writes to the stdout pipe, `log` frames written
 * to fd 3 by its own code), and an app asks for more warm instances than the node can spare.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { LogLineView } from '../src/client/index.js';
import { NimbusError } from '../src/shared/errors.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';
import { FRAME } from './support/hostile.js';

const TRUNCATED = '[nimbus] log truncated';

// A 4 MB line as a `log` frame of its own on fd 3, and a 100 KB line straight into the stdout pipe.
const BIG_LINES = `${FRAME}
export default {
  async fetch() {
    await frame({ t: 'log', id: null, s: 1, line: 'F'.repeat(4 * 1024 * 1024) });
    await writeFd(1, 'P'.repeat(100 * 1024) + '\\n');
    return new Response('written');
  },
};
`;
// 90 lines of 15,000 characters: 1.35 MB in one invocation, under 100 lines.
const BYTES = `export default { fetch() { for (let i = 0; i < 90; i++) console.log(String(i % 10).repeat(15000)); return new Response('written'); } };`;
// 1,000 short lines at once.
const LINES = `export default { fetch() { for (let i = 0; i < 1000; i++) console.log('line ' + i); return new Response('written'); } };`;

describe('log quotas', () => {
  let n: TestNimbus;
  /** The stored lines of a function once the REPORT line of invocation `id` is there. */
  const linesOf = (fn: string, id: string) =>
    eventually(
      async () => {
        const { lines } = await n.client.logs('noisy', fn, { limit: 1000 });
        // A full page: the quota did not hold (the REPORT line lies beyond it).
        return lines.length === 1000 || lines.some((l) => l.invocationId === id && l.line.startsWith('REPORT ')) ? lines : undefined;
      },
      10_000,
      `the REPORT line of ${id}`,
    );
  const call = async (path: string): Promise<string> => {
    const res = await n.fetch(path);
    assert.equal(await res.text(), 'written');
    return res.headers.get('x-nimbus-invocation-id') ?? '';
  };
  const own = (lines: LogLineView[]) => lines.filter((l) => l.stream !== 'system');

  before(async () => {
    n = await startTestNimbus();
    await n.deploy({
      'nimbus.yaml': manifest('noisy', {
        big: { handler: 'src/big.ts', triggers: [{ http: 'GET /big' }] },
        bytes: { handler: 'src/bytes.ts', triggers: [{ http: 'GET /bytes' }] },
        lines: { handler: 'src/lines.ts', triggers: [{ http: 'GET /lines' }] },
      }),
      'src/big.ts': BIG_LINES,
      'src/bytes.ts': BYTES,
      'src/lines.ts': LINES,
    });
  });
  after(() => n?.close());

  it('caps lines at 16 KB on the host, whether they came as fd-3 log frames or through the stdout pipe', async () => {
    const id = await call('/big');
    const lines = own(await linesOf('big', id));
    const f = lines.find((l) => l.line.startsWith('FFFF'));
    const p = lines.find((l) => l.line.startsWith('PPPP'));
    assert.ok(f && p, JSON.stringify(lines.map((l) => l.line.slice(0, 20))));
    for (const l of [f, p]) assert.equal(l.line.length, 16 * 1024 + '…[truncated]'.length);
  });

  it('keeps 1 MB of log per invocation and marks the cut with one line', async () => {
    const id = await call('/bytes');
    const lines = (await linesOf('bytes', id)).filter((l) => l.invocationId === id);
    const kept = own(lines).reduce((sum, l) => sum + Buffer.byteLength(l.line) + 1, 0);
    assert.ok(kept <= 1024 * 1024, `kept ${kept} bytes`);
    assert.ok(own(lines).length >= 60, `kept ${own(lines).length} lines`);
    assert.equal(lines.filter((l) => l.line.startsWith(TRUNCATED)).length, 1);
  });

  it('keeps 100 lines a second per instance, with one marker per second cut, not one per dropped line', async () => {
    const id = await call('/lines');
    const lines = (await linesOf('lines', id)).filter((l) => l.invocationId === id);
    const markers = lines.filter((l) => l.line.startsWith(TRUNCATED));
    assert.ok(markers.length >= 1 && markers.length <= 5, `${markers.length} markers`);
    assert.ok(own(lines).length >= 100 && own(lines).length <= 100 * markers.length, `kept ${own(lines).length} of 1000 lines`);
  });
});

describe('minInstances cap', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus({ maxInstances: 4 });
  });
  after(() => n?.close());

  it('refuses an app asking for more warm instances than a quarter of the node, and other apps are served', async () => {
    await assert.rejects(
      n.deploy({
        'nimbus.yaml': manifest('greedy', { warm: { handler: 'src/warm.ts', minInstances: 100000, triggers: [{ http: 'GET /greedy' }] } }),
        'src/warm.ts': 'export default { fetch: () => new Response("warm") };',
      }),
      (err: unknown) => {
        assert.ok(err instanceof NimbusError);
        assert.equal(err.code, 'MANIFEST_INVALID');
        assert.match(err.message, /asks for 100000 instances kept warm .* more than the 1 one app may keep on this node/);
        assert.match(err.message, /--min-instances-per-app/);
        return true;
      },
    );
    await n.deploy({
      'nimbus.yaml': manifest('polite', { fn: { handler: 'src/fn.ts', triggers: [{ http: 'GET /polite' }] } }),
      'src/fn.ts': 'export default { fetch: () => new Response("served") };',
    });
    const answers = await Promise.all([1, 2, 3].map(async () => (await n.fetch('/polite')).status));
    assert.deepEqual(answers, [200, 200, 200]);
  });
});

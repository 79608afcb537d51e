/**
 * What an operator sees after the fact: one record per invocation (HTTP or API, ok or error),
 * a function's output captured line by line with its stream, attributed to the right invocation
 * even when one instance serves several at once, closed by a Lambda-style REPORT line, and
 * readable through `nimbus logs`.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { InvocationRecord, LogLineView } from '../src/client/index.js';
import { runCli } from '../src/cli/run-cli.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const LOGGER = `
export default {
  async fetch() {
    console.log('first line to stdout');
    console.error('second line to stderr');
    return new Response('logged');
  },
};
`;

/** Each request logs three lines with its own marker, yielding between them. */
const MULTI = `
const pause = () => new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 80)));
export default {
  async fetch(request) {
    const m = new URL(request.url).searchParams.get('m');
    console.log(m + ' start');
    await pause();
    console.error(m + ' middle');
    await pause();
    console.log(m + ' end');
    return new Response(m);
  },
};
`;

const REPORT = /^REPORT RequestId: (\S+)\tDuration: (\d+\.\d+) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB/;

function record(n: TestNimbus, id: string): Promise<InvocationRecord> {
  return eventually(() => n.client.getInvocation(id).catch(() => undefined), 10_000, `the record of ${id}`);
}

/** The lines of one invocation, once its REPORT line is stored. */
async function linesOf(n: TestNimbus, fn: string, id: string): Promise<LogLineView[]> {
  return eventually(
    async () => {
      const { lines } = await n.client.logs('obs', fn, { invocation: id });
      return lines.some((l) => l.line.startsWith('REPORT ')) ? lines : undefined;
    },
    10_000,
    `the REPORT line of ${id}`,
  );
}

describe('observability', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus();
    await n.deploy({
      'nimbus.yaml': manifest('obs', {
        ok: { handler: 'src/ok.ts', memory: 256, triggers: [{ http: 'GET /ok' }] },
        fail: { handler: 'src/fail.handler', triggers: [{ http: 'GET /fail' }] },
        logger: { handler: 'src/logger.ts', triggers: [{ http: 'GET /log' }] },
        multi: { handler: 'src/multi.ts', instanceConcurrency: 5, triggers: [{ http: 'GET /multi' }] },
      }),
      'src/ok.ts': 'export default { fetch: () => new Response("fine") };',
      'src/fail.mjs': "export const handler = async () => { throw new Error('kaboom'); };",
      'src/logger.ts': LOGGER,
      'src/multi.ts': MULTI,
    });
  });
  after(() => n.close());

  it('records an HTTP invocation with every field', async () => {
    const t0 = Date.now();
    const res = await n.fetch('/ok');
    const t1 = Date.now();
    assert.equal(res.status, 200);
    const id = res.headers.get('x-nimbus-invocation-id') ?? '';
    const r = await record(n, id);
    assert.equal(r.id, id);
    assert.equal(r.app, 'obs');
    assert.equal(r.function, 'ok');
    assert.equal(r.version, 1);
    assert.equal(r.trigger, 'http');
    assert.ok(r.startedAt >= t0 - 1 && r.startedAt <= t1, `startedAt ${r.startedAt} outside [${t0}, ${t1}]`);
    assert.ok(typeof r.durationMs === 'number' && r.durationMs > 0 && r.durationMs <= t1 - t0 + 1, `durationMs ${r.durationMs}`);
    assert.ok(Number.isInteger(r.billedMs) && r.billedMs >= r.durationMs, `billedMs ${r.billedMs} for ${r.durationMs} ms`);
    assert.equal(r.memoryMb, 256);
    assert.ok(typeof r.maxMemoryMb === 'number' && r.maxMemoryMb > 0, `maxMemoryMb ${String(r.maxMemoryMb)}`);
    assert.equal(r.coldStart, true);
    assert.equal(r.status, 'ok');
    assert.equal(r.httpStatus, 200);
    const listed = await n.client.listInvocations('obs', 'ok');
    assert.deepEqual(
      listed.map((x) => x.id),
      [id],
    );
  });

  it('records a direct invoke with trigger api, and a throw with status error', async () => {
    const direct = await n.client.invoke('obs', 'ok', { any: 'event' });
    assert.equal(direct.status, 200);
    const r = await record(n, direct.invocationId);
    assert.equal(r.trigger, 'api');
    assert.equal(r.status, 'ok');
    assert.equal(r.coldStart, false);

    const res = await n.fetch('/fail');
    assert.equal(res.status, 502);
    const failed = await record(n, res.headers.get('x-nimbus-invocation-id') ?? '');
    assert.equal(failed.status, 'error');
    assert.equal(failed.errorCode, 'FUNCTION_ERROR');
    assert.match(failed.errorMessage ?? '', /kaboom/);
    assert.equal(failed.httpStatus, 502);
    assert.ok(Number.isInteger(failed.billedMs) && failed.billedMs >= failed.durationMs);
  });

  it("keeps an invocation's lines in order with their streams, ending with REPORT", async () => {
    const res = await n.fetch('/log');
    assert.equal(res.status, 200);
    const id = res.headers.get('x-nimbus-invocation-id') ?? '';
    const lines = await linesOf(n, 'logger', id);
    assert.deepEqual(
      lines.slice(0, -1).map((l) => [l.stream, l.line]),
      [
        ['stdout', 'first line to stdout'],
        ['stderr', 'second line to stderr'],
      ],
    );
    assert.ok(lines.every((l) => l.invocationId === id));
    const last = lines.at(-1)?.line ?? '';
    const m = REPORT.exec(last);
    assert.ok(m, `not a REPORT line: ${last}`);
    assert.equal(m[1], id);
    const r = await record(n, id);
    assert.equal(Number(m[3]), r.billedMs);
    assert.equal(Number(m[4]), 128);
    assert.equal(Number(m[5]), r.maxMemoryMb);
  });

  it('attributes each line to its invocation when one instance serves 5 at once', async () => {
    const markers = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
    const responses = await Promise.all(markers.map((m) => n.fetch(`/multi?m=${m}`)));
    const ids = new Map<string, string>();
    for (const [i, res] of responses.entries()) {
      assert.equal(res.status, 200);
      assert.equal(await res.text(), markers[i]);
      ids.set(markers[i] ?? '', res.headers.get('x-nimbus-invocation-id') ?? '');
    }
    assert.equal((await n.client.getFunction('obs', 'multi')).instances.total, 1, 'the five ran on one instance');
    for (const [m, id] of ids) {
      const lines = await linesOf(n, 'multi', id);
      assert.deepEqual(
        lines.slice(0, -1).map((l) => l.line),
        [`${m} start`, `${m} middle`, `${m} end`],
        `lines of ${m}`,
      );
      assert.ok(REPORT.test(lines.at(-1)?.line ?? ''));
    }
    // And seen from the whole function's log: every marker line carries its own request's id.
    const { lines: all } = await n.client.logs('obs', 'multi');
    const marked = all.filter((l) => !l.line.startsWith('REPORT '));
    assert.equal(marked.length, 15);
    for (const l of marked) assert.equal(l.invocationId, ids.get(l.line.split(' ')[0] ?? ''), `line "${l.line}"`);
  });

  it("prints a function's lines with `nimbus logs app/fn`", async () => {
    const res = await n.fetch('/log');
    const id = res.headers.get('x-nimbus-invocation-id') ?? '';
    await linesOf(n, 'logger', id);
    const env = { NIMBUS_URL: n.adminUrl, NIMBUS_KEY: n.adminKey };
    const r = await runCli(['logs', 'obs/logger', '--invocation', id], { cwd: process.cwd(), env });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.trimEnd().split('\n');
    assert.equal(out.length, 3, r.stdout);
    assert.match(out[0] ?? '', new RegExp(`${id}\\s+first line to stdout$`));
    assert.match(out[1] ?? '', new RegExp(`${id}\\s+.*second line to stderr$`));
    assert.match(out[2] ?? '', new RegExp(`REPORT RequestId: ${id}`));
    const everything = await runCli(['logs', 'obs/logger'], { cwd: process.cwd(), env });
    assert.equal(everything.code, 0, everything.stderr);
    assert.equal(everything.stdout.split('\n').filter((l) => l.endsWith('first line to stdout')).length, 2);
  });
});

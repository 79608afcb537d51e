/**
 * Reading big logs (issue 8, finding 6) and printing hostile ones (finding 16), on a real node.
 * Before: `…/logs?limit=1000` of a function that logged a lot took seconds and stalled the gateway,
 * `limit=10000` answered 500, and `nimbus logs` wrote a function's escape sequences (clear-line,
 * window title, OSC 52 clipboard writes) straight to the operator's terminal. Now: pages of at most
 * 1,000 lines or ~1 MB with a cursor, a larger limit clamped, the CLI following the pages, and
 * control characters shown escaped unless `--raw`.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli/run-cli.js';
import type { LogLineView, LogsPage } from '../src/client/types.js';
import { SqliteStore } from '../src/store/index.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

// 90 lines in all: within the log quotas (1 MB per invocation, 100 lines/s per instance).
const CHATTY = `
export default {
  async fetch() {
    for (let i = 0; i < 30; i++) console.log('chatty ' + i + ' ' + 'c'.repeat(1000));
    return new Response('ok');
  },
};
`;
const HOSTILE = `
export default {
  async fetch() {
    console.log('\\x1b[2K\\rclear-line');
    console.log('\\x1b]0;pwned title\\x07');
    console.log('\\x1b]52;c;' + btoa('rm -rf ~') + '\\x07clipboard');
    return new Response('ok');
  },
};
`;

describe('log pages and terminal safety', () => {
  let n: TestNimbus;
  const BULK = 3000;
  const env = () => ({ NIMBUS_URL: n.adminUrl, NIMBUS_KEY: n.adminKey });
  const page = async (query: string) => {
    const res = await fetch(`${n.adminUrl}/v1/apps/logs/functions/chatty/logs?${query}`, { headers: { authorization: `Bearer ${n.adminKey}` } });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as LogsPage;
  };

  before(async () => {
    n = await startTestNimbus();
    await n.deploy({
      'nimbus.yaml': manifest('logs', {
        chatty: { handler: 'src/chatty.ts', triggers: [{ http: 'GET /chatty' }] },
        hostile: { handler: 'src/hostile.ts', triggers: [{ http: 'GET /hostile' }] },
      }),
      'src/chatty.ts': CHATTY,
      'src/hostile.ts': HOSTILE,
    });
    // What a flood left in the database before log quotas existed: 3,000 lines of 2 KB, some of
    // them megabyte lines written past the old per-line cap.
    const store = SqliteStore.open({ file: join(n.dataDir, 'nimbus.db') });
    const ts = Date.now();
    await store.appendLogs(
      Array.from({ length: BULK }, (_, i) => ({
        seq: 0,
        invocationId: 'flood',
        app: 'logs',
        function: 'chatty',
        version: 1,
        ts,
        stream: 'stdout' as const,
        line: i % 1000 === 999 ? 'H'.repeat(4 * 1024 * 1024) : `flood ${i} ${'f'.repeat(2000)}`,
      })),
    );
    await store.close();
    for (let i = 0; i < 3; i++) assert.equal((await n.fetch('/chatty')).status, 200);
  });
  after(() => n.close());

  it('answers pages of at most 1,000 lines and ~1 MB, with a cursor that walks every line once', async () => {
    const expected = BULK + 3 * 30;
    const seen: LogLineView[] = [];
    let after: number | undefined;
    let pages = 0;
    await eventually(async () => (await n.client.logs('logs', 'chatty', { after: 0, limit: 1000 })).lines.length > 0);
    for (;;) {
      const p = await page(`limit=1000${after === undefined ? '' : `&after=${after}`}`);
      pages++;
      assert.ok(p.lines.length <= 1000, `${p.lines.length} lines`);
      const bytes = p.lines.reduce((sum, l) => sum + Buffer.byteLength(l.line), 0);
      assert.ok(bytes <= 1024 * 1024, `page ${pages}: ${bytes} bytes`);
      seen.push(...p.lines);
      if (!p.more) break;
      assert.ok(p.next > (after ?? 0));
      after = p.next;
      assert.ok(pages < 100, 'the cursor moves on');
    }
    const text = seen.filter((l) => !l.line.startsWith('REPORT '));
    assert.equal(text.length, expected);
    assert.equal(new Set(seen.map((l) => l.seq)).size, seen.length, 'no line twice');
    assert.ok(pages >= 6, `${pages} pages: 6 MB of text cannot fit fewer`);
    const huge = seen.find((l) => l.line.startsWith('HHH'));
    assert.match(huge?.line ?? '', /\[nimbus: line cut at 65536 of 4194304 characters\]$/);
  });

  it('clamps limit=10000 to one page instead of answering 500, and refuses a limit that is not a number', async () => {
    const p = await page('limit=10000');
    assert.ok(p.lines.length <= 1000 && p.lines.length > 0);
    assert.equal(p.more, true);
    const bad = await fetch(`${n.adminUrl}/v1/apps/logs/functions/chatty/logs?limit=lots`, { headers: { authorization: `Bearer ${n.adminKey}` } });
    assert.equal(bad.status, 400);
  });

  it('`nimbus logs` follows the pages (and so does --json)', async () => {
    const r = await runCli(['logs', 'logs/chatty', '-n', '10000'], { cwd: process.cwd(), env: env() });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.trimEnd().split('\n');
    assert.equal(out.filter((l) => / flood \d+ /.test(l)).length, BULK - 3, 'every flood line but the 3 megabyte ones');
    assert.equal(out.filter((l) => l.includes('HHHH')).length, 3);
    assert.equal(out.filter((l) => / chatty \d+ /.test(l)).length, 90);
    const json = await runCli(['logs', 'logs/chatty', '-n', '10000', '--json'], { cwd: process.cwd(), env: env() });
    assert.equal(json.code, 0, json.stderr);
    const all = JSON.parse(json.stdout) as LogsPage;
    assert.equal(all.lines.filter((l) => l.line.startsWith('flood ')).length, BULK - 3);
    assert.equal(all.more, false);
  });

  it('`nimbus logs` shows escape sequences from function output as visible text; --raw prints them as is', async () => {
    const res = await n.fetch('/hostile');
    const id = res.headers.get('x-nimbus-invocation-id') ?? '';
    await eventually(async () => (await n.client.logs('logs', 'hostile', { invocation: id })).lines.length >= 4);
    const r = await runCli(['logs', 'logs/hostile'], { cwd: process.cwd(), env: env() });
    assert.equal(r.code, 0, r.stderr);
    // eslint-disable-next-line no-control-regex
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(r.stdout), `control characters reached the terminal: ${JSON.stringify(r.stdout)}`);
    assert.ok(r.stdout.includes('\\x1b[2K\\x0dclear-line'), r.stdout);
    assert.ok(r.stdout.includes('\\x1b]0;pwned title\\x07'), r.stdout);
    assert.ok(r.stdout.includes(`\\x1b]52;c;${btoa('rm -rf ~')}\\x07clipboard`), r.stdout);
    const raw = await runCli(['logs', 'logs/hostile', '--raw'], { cwd: process.cwd(), env: env() });
    assert.ok(raw.stdout.includes('\x1b]52;c;'), 'raw keeps the bytes');
    const json = await runCli(['logs', 'logs/hostile', '--json'], { cwd: process.cwd(), env: env() });
    assert.ok(!json.stdout.includes('\x1b'), 'JSON escapes them itself');
    assert.ok((JSON.parse(json.stdout) as LogsPage).lines.some((l) => l.line.startsWith('\x1b]0;pwned')));
  });
});

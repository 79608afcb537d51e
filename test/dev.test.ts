/**
 * `nimbus dev` as a user runs it: the real CLI on a copy of an app in a temp dir. A saved handler
 * (or a file it imports) is served by the next request after the reload, while a client looping
 * requests through the swap sees no failure; a broken edit or manifest is printed and the last
 * good version keeps serving; `.env.dev` reaches the function as a secret and is never printed;
 * invocations and log lines are printed; Ctrl-C removes the temporary data dir.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it, type TestContext } from 'node:test';
import { MAIN } from '../src/cli/run-cli.js';
import { eventually } from './support/harness.js';

const MANIFEST = `app: devapp
functions:
  hello:
    handler: src/hello.ts
    env:
      TOKEN: { secret: token }
    triggers:
      - http: GET /hello/{name}
  other:
    handler: src/other.ts
    triggers:
      - http: GET /other
`;
const message = (word: string) => `export const word = '${word}';\n`;
const HELLO = `import { word } from './message.js';
export default {
  async fetch(request, env) {
    console.log('serving ' + new URL(request.url).pathname);
    const name = new URL(request.url).pathname.split('/').pop();
    return new Response(word + ' ' + name + ' token=' + env.TOKEN);
  },
};
`;
const OTHER = `export default { fetch: () => new Response('other') };\n`;

type Child = ChildProcessByStdio<null, Readable, Readable>;

describe('nimbus dev', () => {
  let root: string;
  let app: string;
  let child: Child;
  let gateway: string;
  let out = '';
  let err = '';
  const write = async (path: string, text: string) => {
    await mkdir(dirname(join(app, path)), { recursive: true });
    await writeFile(join(app, path), text);
  };
  const body = async (path = '/hello/ada') => (await fetch(`${gateway}${path}`)).text();

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-dev-test-'));
    app = join(root, 'app');
    await write('nimbus.yaml', MANIFEST);
    await write('src/hello.ts', HELLO);
    await write('src/message.ts', message('Hello'));
    await write('src/other.ts', OTHER);
    await write('.env.dev', '# dev secrets\ntoken=first-secret-value\n');
    child = spawn(process.execPath, [MAIN, 'dev', app, '--port', '0', '--admin-port', '0', '--pool-size', '1'], { cwd: root, env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    await eventually(() => out.includes('Watching') || child.exitCode !== null, 60_000, '`nimbus dev` to start');
    assert.equal(child.exitCode, null, `nimbus dev exited: ${err}`);
    gateway = /gateway\s+(http:\/\/\S+)/.exec(out)![1]!;
  });
  after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
    }
    await rm(root, { recursive: true, force: true });
  });

  it('prints the URLs and the routes once, then a line per invocation and its log lines, without colour off a terminal', async () => {
    assert.equal(await body(), 'Hello ada token=first-secret-value');
    assert.match(out, /GET \/hello\/\{name\}\s+→ hello/);
    await eventually(() => /GET \/hello\/ada {2}200 {2}\S+ m?s {2}cold {2}hello v1/.test(out), 10_000, 'the invocation line');
    assert.match(out, /hello \| serving \/hello\/ada/);
    assert.equal(out.includes('\u001b['), false, 'no ANSI colour when stdout is a pipe');
  });

  it('serves an edit of an imported file from the next request after the reload, with no failed request during the swap', async (t: TestContext) => {
    const seen: Array<{ at: number; status: number; text: string }> = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const at = performance.now();
        try {
          const res = await fetch(`${gateway}/hello/ada`);
          seen.push({ at, status: res.status, text: await res.text() });
        } catch (e) {
          seen.push({ at, status: 0, text: String(e) });
        }
      }
    })();
    await eventually(() => seen.length >= 3, 10_000, 'the loop to run');
    const reloadsBefore = out.split('reloaded in').length;
    const savedAt = performance.now();
    await write('src/message.ts', message('Bonjour'));
    await eventually(() => seen.some((s) => s.text.startsWith('Bonjour')), 15_000, 'the new body');
    const reloadedAt = performance.now();
    await eventually(() => out.split('reloaded in').length > reloadsBefore, 5_000, 'the reload line');
    // A few more after the swap, to see that the old version never answers again.
    const n = seen.length;
    await eventually(() => seen.length >= n + 3, 10_000, 'requests after the swap');
    stop = true;
    await loop;
    const firstNew = seen.findIndex((s) => s.text.startsWith('Bonjour'));
    t.diagnostic(`save → first new body: ${Math.round(seen[firstNew]!.at - savedAt)}–${Math.round(reloadedAt - savedAt)} ms; ${seen.length} requests in the loop`);
    assert.deepEqual(
      seen.filter((s) => s.status !== 200),
      [],
      'every request during the swap answered 200',
    );
    assert.ok(
      seen.slice(firstNew).every((s) => s.text === 'Bonjour ada token=first-secret-value'),
      'after the first new answer, only new answers',
    );
    assert.ok(
      seen.slice(0, firstNew).every((s) => s.text === 'Hello ada token=first-secret-value'),
      'before it, only old ones',
    );
    // Only `hello` read message.ts: `other` kept its version.
    assert.match(out, /reloaded in \d+ ms: deployed hello v2\n/);
  });

  it('prints a build error clearly and keeps serving the previous version until it is fixed', async () => {
    const errBefore = err.length;
    await write('src/message.ts', "export const word = 'Hey' +;\n");
    await eventually(() => err.slice(errBefore).includes('the previous version keeps serving'), 15_000, 'the build error');
    const printed = err.slice(errBefore);
    assert.match(printed, /error \[BUNDLE_FAILED\]: cannot bundle function "hello":/);
    assert.match(printed, /src\/message\.ts:1:\d+: Unexpected ";"/);
    assert.equal(await body(), 'Bonjour ada token=first-secret-value');
    const [outFix, errFix] = [out.length, err.length];
    await write('src/message.ts', message('Hey'));
    let last = '';
    await eventually(async () => (last = await body()) === 'Hey ada token=first-secret-value', 15_000, 'the fixed version').catch((e: Error) => {
      // What the session did with the fix says which part missed it (the watcher, the build, the deploy).
      throw new Error(`${e.message}; last body ${JSON.stringify(last)}; nimbus dev printed since the fix:\n${out.slice(outFix)}${err.slice(errFix)}`);
    });
  });

  it('prints a manifest error and keeps serving; a fixed manifest deploys', async () => {
    const errBefore = err.length;
    await write('nimbus.yaml', MANIFEST.replace('handler: src/other.ts', 'handler: src/other.ts\n    memory: 3'));
    await eventually(() => err.slice(errBefore).includes('the previous version keeps serving'), 15_000, 'the manifest error');
    assert.match(err.slice(errBefore), /error \[MANIFEST_INVALID\]/);
    assert.match(err.slice(errBefore), /nimbus\.yaml:\d+:\d+ functions\.other\.memory/);
    assert.equal(await body('/other'), 'other');
    await write('nimbus.yaml', MANIFEST.replace('GET /other', 'GET /other2'));
    await eventually(async () => (await fetch(`${gateway}/other2`)).status === 200, 15_000, 'the new route');
    assert.match(out, /GET \/other2\s+→ other/, 'changed routes are printed again');
  });

  it('sets .env.dev as app secrets, again when it changes, and never prints the values', async () => {
    await write('.env.dev', 'token="second-secret-value"\n');
    await eventually(async () => (await body()) === 'Hey ada token=second-secret-value', 15_000, 'the new secret');
    assert.equal(out.includes('secret-value') || err.includes('secret-value'), false, 'secret values are never printed');
  });

  it('stops on Ctrl-C and removes its temporary data dir', async () => {
    const keyFile = /admin key\s+(\S+)/.exec(out)![1]!;
    assert.ok(existsSync(dirname(keyFile)));
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('close', r));
    assert.equal(code, 0);
    assert.equal(existsSync(dirname(keyFile)), false);
    await assert.rejects(fetch(`${gateway}/hello/ada`));
  });
});

/**
 * Sandbox isolation, end to end: functions try to escape (read the host's files, the platform's
 * data, a sibling's temp files; write outside their temp dir; spawn processes or workers; read
 * the platform's environment; signal the platform; hog the CPU) and report what happened.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

/** What a function reports for one attempt: the value it got, or the error that refused it. */
type Attempt = { ok: true; value: unknown } | { ok: false; code: string | null; message: string };

// Each action runs one escape attempt (or several) and answers with the Attempts as JSON.
const PROBE = `
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cp from 'node:child_process';
import { Worker } from 'node:worker_threads';
const attempt = (f) => { try { return { ok: true, value: f() }; } catch (e) { return { ok: false, code: e?.code ?? null, message: String(e?.message ?? e) }; } };
const actions = {
  passwd: () => attempt(() => fs.readFileSync('/etc/passwd', 'utf8')),
  datadir: (env) => ({
    key: attempt(() => fs.readFileSync(path.join(env.DATA_DIR, 'admin.key'), 'utf8')),
    db: attempt(() => fs.readFileSync(path.join(env.DATA_DIR, 'nimbus.db')).length),
    list: attempt(() => fs.readdirSync(env.DATA_DIR)),
  }),
  read: (env, q) => ({ file: attempt(() => fs.readFileSync(q.get('path'), 'utf8')), list: attempt(() => fs.readdirSync(path.dirname(q.get('path')))) }),
  write: (env, q) => ({
    outside: attempt(() => fs.writeFileSync(q.get('path'), 'escaped')),
    inside: attempt(() => { const p = path.join(os.tmpdir(), 'own.txt'); fs.writeFileSync(p, 'mine'); return fs.readFileSync(p, 'utf8'); }),
  }),
  exec: () => ({
    execSync: attempt(() => String(cp.execSync('id'))),
    spawnSync: attempt(() => { const r = cp.spawnSync('id'); if (r.error) throw r.error; return String(r.stdout); }),
  }),
  worker: () => attempt(() => { const w = new Worker('1', { eval: true }); void w.terminate(); return 'worker started'; }),
  env: () => ({ ...process.env }),
  kill: () => ({
    kill: attempt(() => process.kill(process.ppid, 'SIGKILL')),
    _kill: attempt(() => process._kill(process.ppid, 9)),
  }),
};
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const result = actions[url.pathname.split('/').pop()](env, url.searchParams);
    return new Response(JSON.stringify(result), { headers: { 'content-type': 'application/json' } });
  },
};
`;

const web = (body: string): string => `import fs from 'node:fs';\nimport os from 'node:os';\nimport path from 'node:path';
export default { async fetch(request) { ${body} } };\n`;

describe('sandbox', () => {
  let n: TestNimbus;
  const sentinelName = 'NIMBUS_SANDBOX_TEST_SENTINEL';
  const sentinel = `sentinel-${randomUUID()}`;
  const ENV = { GREETING: 'hello', DATA_DIR: '' };

  const probe = async <T>(action: string, query = ''): Promise<T> => {
    const res = await n.fetch(`/probe/${action}${query}`);
    const text = await res.text();
    assert.equal(res.status, 200, text.slice(0, 300));
    return JSON.parse(text) as T;
  };
  /**
   * Whether the sandbox sees its own /tmp where `path` is: with namespaces always; without them,
   * paths under /tmp are redirected to the instance's temp dir (sandbox/tmp.ts), so a host file
   * there is simply not found.
   */
  const privateTmp = (path = ''): boolean => namespaces() || path === '/tmp' || path.startsWith('/tmp/');
  const assertRefused = (a: Attempt | undefined, what: string, path?: string): void => {
    assert.ok(a, `no report for ${what}`);
    assert.equal(a.ok, false, `${what} should be refused, got ${JSON.stringify(a).slice(0, 300)}`);
    // Refused by the sandbox, not failing for some unrelated reason (a TypeError). With a mount
    // namespace the host's files are simply not there (ENOENT, or EROFS for a write): that is the sandbox's doing too.
    const codes = ['ERR_ACCESS_DENIED', 'EACCES', 'EPERM', ...(privateTmp(path) ? ['ENOENT', 'EROFS'] : [])];
    assert.ok(a.ok === false && codes.includes(a.code ?? ''), `${what}: refused with ${JSON.stringify(a)}`);
  };
  /** The node runs sandboxes in their own namespaces (root + bubblewrap): each has its own /tmp. */
  const namespaces = (): boolean => n.isolation.layers.some((l) => l.name === 'namespaces' && l.ok);

  before(async () => {
    process.env[sentinelName] = sentinel;
    n = await startTestNimbus();
    ENV.DATA_DIR = n.dataDir;
    await n.deploy({
      'nimbus.yaml': manifest('sbx', {
        probe: { handler: 'probe.js', env: ENV, triggers: [{ http: 'GET /probe/{action}' }] },
        writer: { handler: 'writer.js', triggers: [{ http: 'GET /writer' }] },
        hello: { handler: 'hello.js', triggers: [{ http: 'GET /hello' }] },
        spin: { handler: 'spin.js', timeout: 5, triggers: [{ http: 'GET /spin' }] },
      }),
      'probe.js': PROBE,
      'writer.js': web(`const p = path.join(os.tmpdir(), 'secret-' + Math.random().toString(36).slice(2) + '.txt');
        fs.writeFileSync(p, 'writer-secret'); return new Response(p);`),
      'hello.js': web(`return new Response('hello');`),
      // ?warm: answers after a pause, so two concurrent calls start two instances that then spin warm.
      'spin.js': web(`if (request.url.includes('warm')) { await new Promise((r) => setTimeout(r, 300)); return new Response(String(ID)); }
        for (;;) {}`).replace('export default', 'const ID = Math.random();\nexport default'),
    });
  });
  after(async () => {
    delete process.env[sentinelName];
    await n.close();
  });

  it('refuses to read /etc/passwd', async () => {
    const a = await probe<Attempt>('passwd');
    assertRefused(a, 'reading /etc/passwd');
    assert.doesNotMatch(JSON.stringify(a), /root:/);
  });

  it("refuses to read the platform's data dir (admin key, database)", async () => {
    const r = await probe<Record<string, Attempt>>('datadir');
    assertRefused(r['key'], 'reading admin.key', n.dataDir);
    assertRefused(r['db'], 'reading nimbus.db', n.dataDir);
    assertRefused(r['list'], 'listing the data dir', n.dataDir);
    assert.ok(!JSON.stringify(r).includes(n.adminKey), 'the admin key leaked');
  });

  it("refuses to read another function's temp dir", async () => {
    const res = await n.fetch('/writer');
    assert.equal(res.status, 200);
    const secretPath = await res.text();
    if (privateTmp(secretPath)) {
      // Each instance has its own /tmp (a private tmpfs, or its redirected temp dir): the same path names the reader's own, empty, folder.
      const r = await probe<Record<string, Attempt>>('read', `?path=${encodeURIComponent(secretPath)}`);
      assertRefused(r['file'], "reading the other function's file", secretPath);
      assert.ok(!JSON.stringify(r).includes('writer-secret'));
      assert.ok(!JSON.stringify(r['list']).includes(secretPath.split('/').pop() ?? '?'), "the other function's file is listed");
      return;
    }
    // The file is there (the writer's instance is alive), so a refusal is the sandbox's doing.
    assert.ok(existsSync(secretPath), `the writer's file ${secretPath} exists`);
    const r = await probe<Record<string, Attempt>>('read', `?path=${encodeURIComponent(secretPath)}`);
    assertRefused(r['file'], "reading the other function's file");
    assertRefused(r['list'], "listing the other function's temp dir");
    assert.ok(!JSON.stringify(r).includes('writer-secret'));
  });

  it('refuses writes outside its temp dir and allows writes into os.tmpdir()', async () => {
    // A host folder outside every sandbox's temp dir (/tmp itself is the sandbox's own: with
    // namespaces a private tmpfs, without them redirected to its temp dir).
    const outside = join(namespaces() ? n.dataDir : process.cwd(), `x-${randomUUID()}`);
    try {
      const r = await probe<Record<string, Attempt>>('write', `?path=${encodeURIComponent(outside)}`);
      assertRefused(r['outside'], `writing ${outside}`);
      assert.equal(existsSync(outside), false, `${outside} was created`);
      assert.deepEqual(r['inside'], { ok: true, value: 'mine' }, 'writing into os.tmpdir() works');
    } finally {
      rmSync(outside, { force: true });
    }
  });

  it('refuses to spawn a process', async () => {
    const r = await probe<Record<string, Attempt>>('exec');
    assertRefused(r['execSync'], "child_process.execSync('id')");
    assertRefused(r['spawnSync'], "child_process.spawnSync('id')");
  });

  it('refuses worker_threads', async () => {
    assertRefused(await probe<Attempt>('worker'), 'new Worker()');
  });

  it("exposes exactly the manifest's env (plus its paths and Lambda's variables), nothing of the platform's", async () => {
    const env = await probe<Record<string, string>>('env');
    const { TMPDIR, HOME, LAMBDA_TASK_ROOT, TZ, LANG, ...rest } = env;
    assert.equal(TZ, ':UTC');
    assert.equal(LANG, 'en_US.UTF-8');
    for (const p of [HOME, LAMBDA_TASK_ROOT]) assert.ok(p !== undefined && !p.startsWith(n.dataDir), "HOME and LAMBDA_TASK_ROOT are the sandbox's own");
    const own = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('AWS_')));
    assert.deepEqual(own, ENV, `process.env is ${JSON.stringify(env)}`);
    // Only the names Lambda sets (runtime/lambda-env.ts); never credentials.
    const lambda = Object.keys(rest)
      .filter((k) => k.startsWith('AWS_'))
      .sort();
    assert.deepEqual(lambda, [
      'AWS_DEFAULT_REGION',
      'AWS_EXECUTION_ENV',
      'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
      'AWS_LAMBDA_FUNCTION_NAME',
      'AWS_LAMBDA_FUNCTION_VERSION',
      'AWS_LAMBDA_INITIALIZATION_TYPE',
      'AWS_LAMBDA_LOG_GROUP_NAME',
      'AWS_LAMBDA_LOG_STREAM_NAME',
      'AWS_REGION',
    ]);
    if (TMPDIR !== undefined) assert.ok(!TMPDIR.startsWith(n.dataDir), 'TMPDIR is not inside the data dir');
    const text = JSON.stringify(env);
    assert.ok(!text.includes(sentinel), "the test process's environment leaked");
    assert.ok(!text.includes(n.adminKey), 'the admin key leaked');
  });

  it('cannot kill the platform with process.kill(process.ppid)', async () => {
    const r = await probe<Record<string, Attempt>>('kill');
    assertRefused(r['kill'], 'process.kill(process.ppid, "SIGKILL")');
    assertRefused(r['_kill'], 'process._kill(process.ppid, 9)');
    // This test process hosts the platform: reaching the next line means it was not killed.
    assert.equal((await n.client.health()).ok, true);
    const res = await n.fetch('/hello');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello');
  });

  it('keeps serving other functions while two instances busy-loop', async () => {
    // Warm instances only, so what follows measures contention, not cold starts (see errors.test.ts
    // for the cold-start busy loop).
    assert.equal((await n.fetch('/hello')).status, 200);
    const pids = await Promise.all([0, 1].map(async () => (await n.fetch('/spin?warm')).text()));
    assert.notEqual(pids[0], pids[1], 'two spin instances are warm');
    let spinnersAnswered = 0;
    const spinners = [0, 1].map(() =>
      n.fetch('/spin').then(async (res) => {
        spinnersAnswered++;
        return { status: res.status, text: await res.text() };
      }),
    );
    await eventually(async () => (await n.client.getFunction('sbx', 'spin')).instances.busy === 2, 5000, 'two spinning instances');
    await new Promise((r) => setTimeout(r, 300)); // let both enter their loops
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const res = await n.fetch('/hello');
      const ms = performance.now() - t0;
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'hello');
      assert.ok(ms < 1000, `request ${i} to hello took ${Math.round(ms)} ms while two instances spin`);
    }
    assert.equal(spinnersAnswered, 0, 'both spinners were still running while hello answered');
    // A loop that never yields still ends at its timeout: SIGKILL needs no cooperation.
    for (const s of await Promise.all(spinners)) {
      assert.equal(s.status, 504, s.text);
      assert.match(s.text, /FUNCTION_TIMEOUT/);
    }
  });
});

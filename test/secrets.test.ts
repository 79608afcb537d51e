/**
 * Secrets end to end: a real node, real sandboxes. A function sees exactly the secrets its
 * manifest names; a deploy naming an unknown secret is refused and the running version keeps
 * serving; a new value reaches the next invocation while a steady stream of requests sees no
 * failure; the plaintext is nowhere in the data dir (WAL included), API output, records or logs
 * (masked `***`); a wrong master key refuses the start; rotate-master keeps every secret readable.
 */
import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { NimbusClient, deployDir } from '../src/client/index.js';
import { runCli } from '../src/cli/run-cli.js';
import { startNimbus, type NimbusOptions, type RunningNimbus } from '../src/server/index.js';
import { NimbusError } from '../src/shared/errors.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const isCode =
  (code: string) =>
  (err: unknown): boolean =>
    err instanceof NimbusError && err.code === code;

/** Every file under `dir` (recursively) except the master key, whose bytes hold `needle`. */
async function filesHolding(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile() || entry.name === 'master.key' || entry.name === 'master.key.next') continue;
    const bytes = await readFile(path);
    if (bytes.includes(needle) || bytes.includes(Buffer.from(needle, 'utf16le'))) found.push(path);
  }
  return found;
}

const reader = `export default { fetch: (req, env) => Response.json({ db: env.DB ?? null, proc: process.env.DB ?? null, plain: env.PLAIN ?? null }) };`;
const other = `export default { fetch: (req, env) => Response.json({ keys: Object.keys(process.env), values: Object.values(process.env) }) };`;
const printer = `export default { fetch: (req, env) => {
  console.log('pw=' + env.DB);
  process.stdout.write('split ' + env.DB.slice(0, 9));
  process.stdout.write(env.DB.slice(9) + ' end\\n');
  console.error(new Error('stack with ' + env.DB).stack);
  if (new URL(req.url).searchParams.has('throw')) throw new Error('failed with ' + env.DB);
  return new Response('printed');
} };`;

describe('secrets', () => {
  let n: TestNimbus;
  let dir: string;
  const PLAIN = `pw-${randomUUID()}`;
  const NEXT = `pw2-${randomUUID()}`;
  const app = (secret = 'db-password'): Record<string, string> => ({
    'nimbus.yaml': manifest('vault', {
      reader: { handler: 'src/reader.ts', env: { DB: { secret }, PLAIN: 'visible' }, triggers: [{ http: 'GET /read' }] },
      other: { handler: 'src/other.ts', triggers: [{ http: 'GET /other' }] },
      printer: { handler: 'src/printer.ts', env: { DB: { secret: 'db-password' } }, triggers: [{ http: 'GET /print' }] },
    }),
    'src/reader.ts': reader,
    'src/other.ts': other,
    'src/printer.ts': printer,
  });
  const read = async (): Promise<{ db: string | null; proc: string | null; plain: string | null }> => {
    const res = await n.fetch('/read');
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { db: string | null; proc: string | null; plain: string | null };
  };

  before(async () => {
    n = await startTestNimbus();
  });
  after(() => n.close());

  it('sets a secret before the app is deployed, through the CLI, and lists names only', async () => {
    const file = join(n.dataDir, '..', 'pw.txt');
    await writeFile(file, PLAIN);
    const env = { NIMBUS_URL: n.adminUrl, NIMBUS_KEY: n.adminKey };
    const set = await runCli(['secret', 'set', 'vault', 'db-password', '--from-file', file], { cwd: n.dataDir, env });
    assert.equal(set.code, 0, set.stderr);
    await rm(file);
    const ls = await runCli(['secret', 'ls', 'vault', '--json'], { cwd: n.dataDir, env });
    assert.equal(ls.code, 0, ls.stderr);
    const listed = JSON.parse(ls.stdout) as { secrets: { name: string; updatedAt: number }[] };
    assert.deepEqual(
      listed.secrets.map((s) => s.name),
      ['db-password'],
    );
    assert.ok(!ls.stdout.includes(PLAIN) && !set.stdout.includes(PLAIN));
  });

  it('refuses bad names and oversized values', async () => {
    await assert.rejects(n.client.setSecret('vault', 'bad name', 'x'), isCode('BAD_REQUEST'));
    await assert.rejects(n.client.setSecret('vault', 'big', 'x'.repeat(64 * 1024 + 1)), isCode('VALUE_TOO_LARGE'));
  });

  it('gives a function exactly the secrets it names, and no other function of the app', async () => {
    dir = (await n.deploy(app())).dir;
    assert.deepEqual(await read(), { db: PLAIN, proc: PLAIN, plain: 'visible' });
    const res = await n.fetch('/other');
    const seen = (await res.json()) as { keys: string[]; values: string[] };
    assert.ok(!seen.keys.includes('DB'));
    assert.ok(!seen.values.includes(PLAIN));
  });

  it('refuses a deploy naming an unknown secret, saying where, and keeps the running version', async () => {
    await writeFile(join(dir, 'nimbus.yaml'), app('no-such-secret')['nimbus.yaml']!);
    await assert.rejects(deployDir(n.client, dir), (err: unknown) => {
      assert.ok(isCode('SECRET_NOT_FOUND')(err), String(err));
      const message = (err as Error).message;
      for (const part of ['reader', 'env.DB', 'no-such-secret']) assert.ok(message.includes(part), message);
      return true;
    });
    assert.equal((await n.client.getFunction('vault', 'reader')).activeVersion, 1);
    assert.equal((await read()).db, PLAIN);
    await writeFile(join(dir, 'nimbus.yaml'), app()['nimbus.yaml']!);
  });

  it('refuses to remove a secret an active function names', async () => {
    await assert.rejects(n.client.deleteSecret('vault', 'db-password'), (err: unknown) => isCode('SECRET_IN_USE')(err) && (err as Error).message.includes('vault/reader'));
    assert.equal((await read()).db, PLAIN);
  });

  it('masks the value in captured logs, records and errors of a function that prints or throws it', async () => {
    assert.equal(await (await n.fetch('/print')).text(), 'printed');
    const failed = await n.fetch('/print?throw');
    const failedBody = await failed.text();
    assert.ok(!failedBody.includes(PLAIN), failedBody);
    const lines = await eventually(
      async () => {
        const page = await n.client.logs('vault', 'printer');
        return page.lines.some((l) => l.line.startsWith('pw=')) && page.lines.filter((l) => l.line.includes('stack with')).length >= 2 ? page.lines.map((l) => l.line) : undefined;
      },
      10_000,
      'the printer logs',
    );
    assert.ok(lines.includes('pw=***'), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('stack with ***')));
    // Written in two pieces: both halves masked.
    assert.ok(lines.includes('split ***') && lines.includes('*** end'), lines.join('\n'));
    assert.ok(!lines.join('\n').includes(PLAIN.slice(4)), lines.join('\n'));
    const records = await eventually(async () => {
      const list = await n.client.listInvocations('vault', 'printer');
      return list.length >= 2 ? list : undefined;
    });
    const text = JSON.stringify(records);
    assert.ok(text.includes('failed with ***'), text);
    assert.ok(!text.includes(PLAIN));
  });

  it('never shows the value in API output', async () => {
    const outputs = [
      await n.client.listSecrets('vault'),
      await n.client.getFunction('vault', 'reader'),
      await n.client.listFunctions('vault'),
      await n.client.listVersions('vault', 'reader'),
      await n.client.listInvocations('vault', 'reader'),
      await n.client.openApi(),
      await n.client.deleteSecret('vault', 'db-password').catch((e: unknown) => e),
      // A malformed body: the JSON parser's message would quote it.
      await (await fetch(`${n.adminUrl}/v1/apps/vault/secrets/db-password`, { method: 'PUT', headers: { authorization: `Bearer ${n.adminKey}` }, body: `{"value": ${PLAIN}}` })).json(),
      await (await fetch(`${n.adminUrl}/v1/apps/vault/secrets/db-password`, { method: 'PUT', headers: { authorization: `Bearer ${n.adminKey}` }, body: JSON.stringify({ value: 7, PLAIN }) })).json(),
    ];
    for (const out of outputs) assert.ok(!JSON.stringify(out).includes(PLAIN), JSON.stringify(out).slice(0, 200));
    assert.ok(JSON.stringify(outputs[1]).includes('db-password'), 'the function view names the secret');
  });

  it('a new value reaches the next invocation while a steady stream of requests sees no failure', async () => {
    let stop = false;
    const failures: string[] = [];
    let served = 0;
    const stream = async (): Promise<void> => {
      while (!stop) {
        const res = await n.fetch('/read');
        const body = await res.text();
        served++;
        if (res.status !== 200) failures.push(`${res.status} ${body}`);
      }
    };
    const streams = [stream(), stream()];
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await n.client.setSecret('vault', 'db-password', NEXT)).created, false);
    assert.equal((await read()).db, NEXT, 'the first invocation after the set');
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await Promise.all(streams);
    assert.deepEqual(failures, []);
    assert.ok(served > 10, `served ${served}`);
    assert.equal((await read()).db, NEXT);
  });

  it('keeps the plaintext out of every file of the data dir, also after a WAL checkpoint', async () => {
    for (const value of [PLAIN, NEXT]) assert.deepEqual(await filesHolding(n.dataDir, value), []);
    const db = new Database(join(n.dataDir, 'nimbus.db'));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    for (const value of [PLAIN, NEXT]) assert.deepEqual(await filesHolding(n.dataDir, value), []);
    // The test can fail: the value does sit in the key file's neighbour when written there.
    await writeFile(join(n.dataDir, 'probe.txt'), NEXT);
    assert.equal((await filesHolding(n.dataDir, NEXT)).length, 1);
    await rm(join(n.dataDir, 'probe.txt'));
  });

  it('rotate-master re-encrypts every secret under a new key file, and they stay readable', async () => {
    await n.client.setSecret('other-app', 'token', 'tok-1234567');
    const before = await readFile(join(n.dataDir, 'master.key'), 'utf8');
    assert.equal(((await stat(join(n.dataDir, 'master.key'))).mode & 0o777).toString(8), '600');
    const out = await n.client.rotateMasterKey();
    assert.deepEqual(out, { rotated: 2, keySource: 'file' });
    assert.notEqual(await readFile(join(n.dataDir, 'master.key'), 'utf8'), before);
    assert.equal(await n.secrets.get('vault', 'db-password'), NEXT);
    assert.equal(await n.secrets.get('other-app', 'token'), 'tok-1234567');
    await n.client.setSecret('vault', 'db-password', PLAIN);
    assert.equal((await read()).db, PLAIN);
  });
});

describe('secrets: the master key across restarts', () => {
  let root: string;
  let node: RunningNimbus | undefined;
  const K1 = randomBytes(32).toString('base64');
  const K2 = randomBytes(32).toString('hex');
  const start = (options: Partial<NimbusOptions>): Promise<RunningNimbus> => startNimbus({ dataDir: join(root, 'data'), port: 0, adminPort: 0, poolSize: 1, log: () => {}, ...options });
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-secrets-'));
  });
  after(async () => {
    await node?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('refuses to start with a wrong NIMBUS_MASTER_KEY, clearly, and starts with the right one', async () => {
    node = await start({ masterKey: K1 });
    const client = new NimbusClient({ url: node.adminUrl, key: node.adminKey });
    await client.setSecret('shop', 'api-key', 'sk-live-0123456789');
    await node.close();
    node = undefined;
    await assert.rejects(start({ masterKey: K2 }), (err: unknown) => isCode('MASTER_KEY_INVALID')(err) && /NIMBUS_MASTER_KEY/.test((err as Error).message));
    await assert.rejects(start({}), (err: unknown) => isCode('MASTER_KEY_INVALID')(err) && /master\.key is missing/.test((err as Error).message));
    await assert.rejects(start({ masterKey: 'not-a-key' }), isCode('MASTER_KEY_INVALID'));
    node = await start({ masterKey: K1 });
    assert.equal(await node.secrets.get('shop', 'api-key'), 'sk-live-0123456789');
  });

  it('rotates under NIMBUS_MASTER_KEY only with a new key given, and the new key opens every secret', async () => {
    const client = new NimbusClient({ url: node!.adminUrl, key: node!.adminKey });
    await assert.rejects(client.rotateMasterKey(), (err: unknown) => isCode('BAD_REQUEST')(err) && /NIMBUS_MASTER_KEY/.test((err as Error).message));
    assert.deepEqual(await client.rotateMasterKey(K2), { rotated: 1, keySource: 'option' });
    await node!.close();
    node = undefined;
    await assert.rejects(start({ masterKey: K1 }), isCode('MASTER_KEY_INVALID'));
    node = await start({ masterKey: K2 });
    assert.equal(await node.secrets.get('shop', 'api-key'), 'sk-live-0123456789');
  });
});

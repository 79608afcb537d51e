/**
 * Object storage through the control API, the client and the CLI, on a real node: bytes and
 * metadata round trip (binary, keys with '/' and Unicode), keys cannot escape the bucket's
 * directory, lists page by key, missing things answer 404, buckets and topics belong to one app.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli/run-cli.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const HANDLER = 'export default { fetch: () => new Response("ok") };';

/** A raw request, so paths reach the server exactly as written (fetch would normalise '..'). */
function raw(n: TestNimbus, method: string, path: string, body?: Buffer, headers: Record<string, string | number> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${n.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${n.adminKey}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every file under `dir`, relative. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

describe('object storage', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus();
    await n.deploy({
      'nimbus.yaml': manifest('media', {
        store: { handler: 'src/store.ts', bindings: { UPLOADS: { bucket: 'uploads' }, EMAILS: { topic: 'emails' }, CACHE: { kv: 'cache' } }, triggers: [{ http: 'GET /store' }] },
      }),
      'src/store.ts': HANDLER,
    });
  });
  after(() => n.close());

  it('round-trips text and binary objects with their content type and an MD5 etag', async () => {
    const text = await n.client.putObject('uploads', 'notes/hello.txt', 'hello, world', 'text/plain; charset=utf-8');
    assert.equal(text.size, 12);
    assert.equal(text.etag, `"${createHash('md5').update('hello, world').digest('hex')}"`);
    const got = await n.client.getObject('uploads', 'notes/hello.txt');
    assert.equal(got.body.toString(), 'hello, world');
    assert.equal(got.info.contentType, 'text/plain; charset=utf-8');
    assert.equal(got.info.etag, text.etag);
    assert.equal(got.info.uploadedAt, text.uploadedAt);

    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256));
    const bin = await n.client.putObject('uploads', 'bin/all-bytes', bytes);
    assert.equal(bin.contentType, 'application/octet-stream');
    const back = await n.client.getObject('uploads', 'bin/all-bytes');
    assert.ok(back.body.equals(bytes));
    assert.deepEqual(await n.client.headObject('uploads', 'bin/all-bytes'), bin);

    // Replace: the new bytes win, one file stays on disk.
    await n.client.putObject('uploads', 'bin/all-bytes', 'short');
    assert.equal((await n.client.getObject('uploads', 'bin/all-bytes')).body.toString(), 'short');
  });

  it('keeps keys with "/", Unicode and ".." as plain keys inside the bucket directory', async () => {
    const keys = ['images/2026/ünïcödé 😀.png', '../../../escape.txt', 'a/../../b', '%2F..%2F', 'x\\..\\y'];
    for (const key of keys) {
      await n.client.putObject('uploads', key, key);
      assert.equal((await n.client.getObject('uploads', key)).body.toString(), key);
    }
    // Unencoded dot segments never reach an object route.
    const dotted = await raw(n, 'PUT', '/v1/buckets/uploads/objects/../../../../escape2', Buffer.from('x'));
    assert.equal(dotted.status, 404);
    const parent = await raw(n, 'PUT', `/v1/buckets/uploads/objects/${encodeURIComponent('..')}`, Buffer.from('x'));
    assert.ok(parent.status === 400 || parent.status === 404, `"..": ${parent.status}`);
    const files = walk(n.dataDir);
    assert.ok(!files.some((f) => f.includes('escape')), `a key reached the file system: ${files.join(', ')}`);
    for (const f of files.filter((x) => x.startsWith('buckets/'))) assert.match(f, /^buckets\/uploads\/[0-9a-f-]{36}$/);
    const listed = (await n.client.listObjects('uploads')).objects.map((o) => o.key);
    for (const key of keys) assert.ok(listed.includes(key), key);
  });

  it('lists in key order, by prefix, page by page', async () => {
    for (const k of ['page/e', 'page/a', 'page/c', 'page/b', 'page/d', 'pagex']) await n.client.putObject('uploads', k, k);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await n.client.listObjects('uploads', { prefix: 'page/', limit: 2, cursor });
      seen.push(...page.objects.map((o) => o.key));
      cursor = page.cursor ?? undefined;
      pages++;
    } while (cursor);
    assert.deepEqual(seen, ['page/a', 'page/b', 'page/c', 'page/d', 'page/e']);
    assert.equal(pages, 3);
    await assert.rejects(n.client.listObjects('uploads', { cursor: '!!!' }), { code: 'BAD_REQUEST' });
  });

  it('answers 404 for missing objects, buckets and topics, and 413 for an object over 64 MB', async () => {
    await assert.rejects(n.client.getObject('uploads', 'nope'), { code: 'OBJECT_NOT_FOUND' });
    await assert.rejects(n.client.headObject('uploads', 'nope'), { code: 'OBJECT_NOT_FOUND' });
    assert.deepEqual(await n.client.deleteObject('uploads', 'nope'), { deleted: false });
    await assert.rejects(n.client.putObject('unknown', 'k', 'x'), { code: 'BUCKET_NOT_FOUND' });
    await assert.rejects(n.client.listObjects('unknown'), { code: 'BUCKET_NOT_FOUND' });
    await assert.rejects(n.client.publish('unknown', {}), { code: 'TOPIC_NOT_FOUND' });
    const big = await raw(n, 'PUT', '/v1/buckets/uploads/objects/big', undefined, { 'content-length': 64 * 1024 * 1024 + 1 });
    assert.equal(big.status, 413);
    assert.equal(JSON.parse(big.body).error.code, 'VALUE_TOO_LARGE');

    await n.client.putObject('uploads', 'gone', 'x');
    assert.deepEqual(await n.client.deleteObject('uploads', 'gone'), { deleted: true });
    await assert.rejects(n.client.getObject('uploads', 'gone'), { code: 'OBJECT_NOT_FOUND' });
  });

  it('lists buckets and topics with their owner; a topic without subscribers takes messages', async () => {
    const bucket = (await n.client.listBuckets()).find((b) => b.bucket === 'uploads');
    assert.equal(bucket?.app, 'media');
    assert.ok(bucket.objects > 0 && bucket.bytes > 0);
    assert.deepEqual(await n.client.listTopics(), [{ topic: 'emails', app: 'media', subscribers: [] }]);
    const out = await n.client.publishBatch('emails', [{ to: 'a' }, { to: 'b' }]);
    assert.equal(out.messageIds.length, 2);
    assert.equal(out.deliveries, 0);
  });

  it('copies files in and out with the CLI', async () => {
    const env = { NIMBUS_URL: n.adminUrl, NIMBUS_KEY: n.adminKey };
    const dir = await n.writeApp({ 'in.json': '{"a":1}' });
    const up = await runCli(['cp', 'in.json', 'uploads:cli/in.json', '--json'], { cwd: dir, env });
    assert.equal(up.code, 0, up.stderr);
    assert.equal(JSON.parse(up.stdout).contentType, 'application/json');
    const down = await runCli(['cp', 'uploads:cli/in.json', 'out.json'], { cwd: dir, env });
    assert.equal(down.code, 0, down.stderr);
    assert.equal(readFileSync(join(dir, 'out.json'), 'utf8'), '{"a":1}');
    const ls = await runCli(['ls-bucket', 'uploads', '--prefix', 'cli/', '--json'], { cwd: dir, env });
    assert.deepEqual(
      JSON.parse(ls.stdout).objects.map((o: { key: string }) => o.key),
      ['cli/in.json'],
    );
    const cat = await runCli(['cp', 'uploads:cli/in.json', '-'], { cwd: dir, env });
    assert.equal(cat.stdout, '{"a":1}');
    writeFileSync(join(dir, 'msg.json'), '{"to":"c"}');
    const pub = await runCli(['publish', 'emails', '@msg.json', '--json'], { cwd: dir, env });
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal(JSON.parse(pub.stdout).messageIds.length, 1);
    const missing = await runCli(['cp', 'uploads:cli/none', 'x'], { cwd: dir, env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /OBJECT_NOT_FOUND/);
  });

  it('refuses a bucket, topic or KV namespace another app owns; a deleted app frees the name, not its data', async () => {
    const blog = (bindings: Record<string, unknown>) => ({
      'nimbus.yaml': manifest('blog', { page: { handler: 'src/page.ts', bindings, triggers: [{ http: 'GET /page' }] } }),
      'src/page.ts': HANDLER,
    });
    for (const binding of [{ bucket: 'uploads' }, { topic: 'emails' }, { kv: 'cache' }]) {
      await assert.rejects(n.deploy(blog({ B: binding })), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'RESOURCE_CONFLICT');
        assert.match(err.message, /blog\/page/);
        assert.match(err.message, /"media"/);
        return true;
      });
    }
    assert.equal((await n.fetch('/page')).status, 404, 'nothing of the refused app was deployed');
    const bucketDir = join(n.dataDir, 'buckets', 'uploads');
    assert.ok(readdirSync(bucketDir).length > 0);
    await n.client.deleteApp('media');
    await assert.rejects(n.client.getObject('uploads', 'notes/hello.txt'), { code: 'BUCKET_NOT_FOUND' });
    // Deleting the app deletes the objects it owned (a deploy that stops naming a bucket would not).
    await eventually(() => readdirSync(bucketDir).length === 0, 5_000, 'the bucket files to be deleted');
    await n.deploy(blog({ B: { bucket: 'uploads' } }));
    // A new owner starts with an empty bucket: it cannot read what the deleted app stored.
    assert.deepEqual((await n.client.listObjects('uploads')).objects, []);
    await assert.rejects(n.client.getObject('uploads', 'notes/hello.txt'), { code: 'OBJECT_NOT_FOUND' });
  });
});

/**
 * Large objects (issue 8, finding 6: 3 × 60 MB objects from one invocation): a 60 MB PUT through
 * the control API streams to disk as it arrives (before, the whole body was buffered in memory,
 * then hashed and copied in one blocking step), the gateway keeps answering while it is in flight,
 * and the GET streams the file back byte for byte. A function's binding moves large objects too.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const MB = 1024 * 1024;
const FN = `
export default {
  async fetch(request, env) {
    const q = new URL(request.url).searchParams;
    if (q.get('op') === 'put') {
      const body = new Uint8Array(Number(q.get('mb')) * 1024 * 1024).fill(7);
      const info = await env.FILES.put(q.get('key'), body);
      return Response.json(info);
    }
    if (q.get('op') === 'get') {
      const obj = await env.FILES.get(q.get('key'));
      const bytes = new Uint8Array(await obj.arrayBuffer());
      return Response.json({ size: bytes.length, sevens: bytes.every((b) => b === 7) });
    }
    return new Response('hello');
  },
};
`;

describe('large objects', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus({ bucketQuotaMb: 512 });
    await n.deploy({
      'nimbus.yaml': manifest('big', { f: { handler: 'src/f.ts', memory: 512, timeout: 30, bindings: { FILES: { bucket: 'big-files' } }, triggers: [{ http: 'GET /f' }] } }),
      'src/f.ts': FN,
    });
  });
  after(() => n.close());

  it('a 60 MB control-API PUT is written to disk while it arrives, the gateway answers meanwhile, and GET streams it back', async () => {
    const chunk = Buffer.alloc(MB);
    const hash = createHash('md5');
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${n.adminUrl}/v1/buckets/big-files/objects/sixty`,
        { method: 'PUT', headers: { authorization: `Bearer ${n.adminKey}`, 'content-length': 60 * MB, 'content-type': 'application/octet-stream' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      const write = async () => {
        for (let i = 0; i < 50; i++) {
          chunk.fill(i);
          hash.update(chunk);
          if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        }
        // 50 of 60 MB sent: the upload waits here until the checks below are done.
        await gate;
        for (let i = 50; i < 60; i++) {
          chunk.fill(i);
          hash.update(chunk);
          if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      };
      write().catch(reject);
    });
    const dir = join(n.dataDir, 'buckets', 'big-files');
    const temp = () => {
      try {
        return readdirSync(dir, { withFileTypes: true }).filter((e) => e.name.startsWith('.tmp-'));
      } catch {
        return [];
      }
    };
    // The bytes already sent are on disk, not in the server's memory.
    await eventually(() => temp().some((e) => statSync(join(dir, e.name)).size >= 40 * MB), 30_000, 'the upload to reach the disk');
    assert.equal(await (await n.fetch('/f')).text(), 'hello', 'the gateway answers while the upload is in flight');
    finish();
    const put = await answer;
    assert.equal(put.status, 200, put.body);
    const etag = `"${hash.digest('hex')}"`;
    assert.equal((JSON.parse(put.body) as { etag: string; size: number }).etag, etag);
    assert.deepEqual(temp(), []);

    const res = await fetch(`${n.adminUrl}/v1/buckets/big-files/objects/sixty`, { headers: { authorization: `Bearer ${n.adminKey}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(60 * MB));
    const back = createHash('md5');
    for await (const part of res.body!) back.update(part);
    assert.equal(`"${back.digest('hex')}"`, etag);
  });

  it('a PUT that declares more than 64 MB is refused before its body is read (413), leaving nothing behind', async () => {
    const res = await fetch(`${n.adminUrl}/v1/buckets/big-files/objects/huge`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${n.adminKey}` },
      body: Buffer.alloc(65 * MB),
    });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'VALUE_TOO_LARGE');
    assert.equal(readdirSync(join(n.dataDir, 'buckets', 'big-files')).length, 1, 'only the 60 MB object of the test before');
  });

  it('a function puts and gets an 8 MB object through its binding', async () => {
    const res = await n.fetch('/f?op=put&key=fn&mb=8');
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.equal((JSON.parse(text) as { size: number }).size, 8 * MB, text);
    assert.deepEqual(await (await n.fetch('/f?op=get&key=fn')).json(), { size: 8 * MB, sevens: true });
  });
});

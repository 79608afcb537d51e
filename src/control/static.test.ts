import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { staticFiles } from './static.js';

describe('staticFiles', () => {
  let root: string;
  let server: Server;
  let base: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-static-'));
    await mkdir(join(root, 'site', 'assets'), { recursive: true });
    await writeFile(join(root, 'site', 'index.html'), '<html>app</html>');
    await writeFile(join(root, 'site', 'assets', 'main-abc123.js'), 'console.log(1)');
    await writeFile(join(root, 'secret.txt'), 'do not serve');
    const serve = staticFiles(join(root, 'site'));
    server = createServer((req, res) => {
      void serve(req, res, new URL(req.url ?? '/', 'http://x').pathname).then((done) => done || res.writeHead(405).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await rm(root, { recursive: true, force: true });
  });

  it('serves hashed assets with their type and long caching, index.html without', async () => {
    const js = await fetch(`${base}/assets/main-abc123.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const index = await fetch(`${base}/`);
    assert.equal(await index.text(), '<html>app</html>');
    assert.equal(index.headers.get('cache-control'), 'no-cache');
  });

  it('answers client routes with index.html and missing files with 404', async () => {
    assert.equal(await (await fetch(`${base}/functions/shop/hello`)).text(), '<html>app</html>');
    assert.equal((await fetch(`${base}/assets/gone.js`)).status, 404);
  });

  it('never serves a file outside its root', async () => {
    for (const path of ['/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt', '/..%5csecret.txt', '/%00']) {
      const res = await fetch(`${base}${path}`);
      assert.ok(!(await res.text()).includes('do not serve'), path);
    }
  });

  it('leaves other methods to the caller', async () => {
    assert.equal((await fetch(`${base}/`, { method: 'POST' })).status, 405);
  });
});

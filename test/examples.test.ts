/** The bundled example app, deployed as the README's quick start does, answers as documented. */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deployDir } from '../src/client/index.js';
import { startTestNimbus, type TestNimbus } from './support/harness.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/hello', import.meta.url));

describe('examples/hello', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus();
    await deployDir(n.client, EXAMPLE);
  });
  after(() => n.close());

  it('serves the web-style hello with a path parameter', async () => {
    const res = await n.fetch('/hello/world');
    assert.equal(res.status, 200);
    assert.match(await res.text(), /world/);
    assert.match(res.headers.get('x-nimbus-invocation-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('serves the Lambda-style echo on a {proxy+} route with query and body', async () => {
    const res = await n.fetch('/echo/a/b/c?x=1&x=2&y=3', { method: 'POST', body: '{"k":1}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body['method'], 'POST');
    assert.equal(body['path'], '/echo/a/b/c');
    assert.deepEqual(body['query'], { x: '1,2', y: '3' });
    assert.equal(body['body'], '{"k":1}');
  });

  it('serves the CommonJS Lambda handler returning a plain object as 200 JSON', async () => {
    const res = await n.fetch('/time');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(typeof body['epochMs'], 'number');
  });
});

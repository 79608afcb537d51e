/**
 * Issue 8, "a gateway that holds", end to end with raw sockets where fetch() would hide the attack:
 * the path and Host a function sees (13), function statuses and headers that could desync a
 * connection (14), request bodies admitted before they are buffered and slow headers (12), and
 * connection limits (11; the EMFILE case is in gateway-fd.test.ts, in a child process).
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { manifest, startTestNimbus, type TestNimbus } from './support/harness.js';
import { rawConnect, rawExchange, statusLines, waitFor, type RawConnection } from './support/raw-http.js';

const URL_FN = `export default { fetch: (req) => { const u = new URL(req.url); return Response.json({ url: req.url, path: u.pathname, host: u.host, method: req.method }); } };`;
const STATUS_FN = `
export const handler = async (event) => {
  const q = event.queryStringParameters ?? {};
  const headers = { 'x-kind': 'lambda' };
  if (q.forge) headers['x-nimbus-invocation-id'] = 'forged';
  if (q.bad) headers['x-bad'] = 'a\\r\\nb';
  return { statusCode: Number(q.code ?? 200), headers, body: q.body ?? 'hello' };
};`;
const ECHO_FN = `export const handler = async (event) => ({ statusCode: 200, body: String((event.body ?? '').length) });`;

const app = {
  'nimbus.yaml': manifest('gw', {
    url: { handler: 'url.ts', triggers: [{ http: 'GET /public/{proxy+}' }] },
    secret: { handler: 'url.ts', triggers: [{ http: 'GET /internal/{proxy+}' }] },
    status: { handler: 'status.handler', triggers: [{ http: 'GET /status' }] },
    echo: { handler: 'echo.handler', triggers: [{ http: 'POST /echo' }] },
  }),
  'url.ts': URL_FN,
  'status.mjs': STATUS_FN,
  'echo.mjs': ECHO_FN,
};

const get = (path: string, host = 'gw.test') => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
const bodyOf = (raw: string) => raw.slice(raw.indexOf('\r\n\r\n') + 4);
const rssBytes = () => Number(readFileSync('/proc/self/statm', 'latin1').split(' ')[1]) * 4096;

describe('gateway: the path and Host a function sees (finding 13)', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus();
    await n.deploy(app);
  });
  after(() => n.close());

  it('refuses dot segments, literal or percent-encoded, before routing', async () => {
    for (const path of ['/public/../internal/config', '/public/%2e%2e/internal/config', '/public/.%2E/internal/config', '/public/./x', '/public/..%2finternal/config', '/public/..\\internal/config']) {
      const raw = await rawExchange(n.gatewayUrl, get(path));
      assert.match(statusLines(raw)[0] ?? '', /^HTTP\/1\.1 400 /, `${path}: ${raw}`);
      assert.match(raw, /"code":"BAD_REQUEST"/);
      assert.doesNotMatch(raw, /internal\/config"/, 'the function never ran');
    }
  });

  it('refuses a Host that is not host[:port]', async () => {
    for (const host of ['x/internal/config?', 'x#frag', 'user@x', 'x:99999', 'x y']) {
      const raw = await rawExchange(n.gatewayUrl, get('/public/a', host));
      assert.match(statusLines(raw)[0] ?? '', /^HTTP\/1\.1 400 /, `Host ${host}: ${raw}`);
    }
  });

  it('builds the URL from the checked host and the routed path', async () => {
    const raw = await rawExchange(n.gatewayUrl, get('/public/a/b?x=1', 'example.com:8443'));
    const seen = JSON.parse(bodyOf(raw)) as { url: string; path: string; host: string };
    assert.deepEqual(seen, { url: 'http://example.com:8443/public/a/b?x=1', path: '/public/a/b', host: 'example.com:8443', method: 'GET' });
    const bare = await rawExchange(n.gatewayUrl, 'GET /public/z HTTP/1.0\r\n\r\n');
    const seen2 = JSON.parse(bodyOf(bare)) as { path: string; host: string };
    assert.equal(seen2.path, '/public/z');
    assert.equal(`http://${seen2.host}`, n.gatewayUrl, 'no Host: the gateway origin');
  });
});

describe('gateway: statuses, headers and HEAD (finding 14)', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus();
    await n.deploy(app);
  });
  after(() => n.close());

  it('answers 502 INVALID_RESPONSE for 1xx statuses, and the next pipelined response is intact', async () => {
    for (const code of [100, 101, 103, 600]) {
      const raw = await rawExchange(n.gatewayUrl, `GET /status?code=${code} HTTP/1.1\r\nHost: a\r\n\r\n` + get('/status?code=200&body=second'));
      assert.deepEqual(statusLines(raw), ['HTTP/1.1 502 Bad Gateway', 'HTTP/1.1 200 OK'], `${code}: ${raw}`);
      assert.match(raw, /"code":"INVALID_RESPONSE"/);
      assert.ok(raw.endsWith('second'), raw);
    }
  });

  it('sends 204 and 304 without a body or a length, and the next pipelined response is intact', async () => {
    for (const code of [204, 304]) {
      const raw = await rawExchange(n.gatewayUrl, `GET /status?code=${code}&body=leak HTTP/1.1\r\nHost: a\r\n\r\n` + get('/status?code=200&body=second'));
      assert.deepEqual(statusLines(raw), [`HTTP/1.1 ${code} ${code === 204 ? 'No Content' : 'Not Modified'}`, 'HTTP/1.1 200 OK'], raw);
      const first = raw.slice(0, raw.indexOf('HTTP/1.1 200'));
      assert.doesNotMatch(first, /content-length|transfer-encoding/i, first);
      assert.doesNotMatch(raw, /leak/);
    }
  });

  it('keeps x-nimbus-* headers for the platform', async () => {
    const res = await n.fetch('/status?forge=1');
    assert.equal(res.status, 200);
    const id = res.headers.get('x-nimbus-invocation-id') ?? '';
    assert.doesNotMatch(id, /forged/);
    assert.match(id, /^[0-9a-f-]{36}$/);
  });

  it('answers a header node:http refuses with a proper 502 Bad Gateway', async () => {
    const raw = await rawExchange(n.gatewayUrl, get('/status?bad=1'));
    assert.deepEqual(statusLines(raw), ['HTTP/1.1 502 Bad Gateway']);
    assert.match(raw, /"code":"INVALID_RESPONSE"/);
  });

  it('serves HEAD from the GET route: headers kept, body dropped', async () => {
    const res = await n.fetch('/status?body=abc', { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-kind'), 'lambda');
    assert.equal(await res.text(), '');
    const raw = await rawExchange(n.gatewayUrl, `HEAD /status?body=abc HTTP/1.1\r\nHost: a\r\n\r\n` + get('/status?body=second'));
    assert.deepEqual(statusLines(raw), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    assert.ok(raw.endsWith('second') && !raw.includes('abc'), raw);
  });
});

describe('gateway: bodies admitted before they are buffered, slow headers (finding 12)', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus({ gateway: { maxBodyBytesInFlight: 32 * 1024 * 1024, headersTimeoutMs: 1000, bodyTimeoutMs: 2000 } });
    await n.deploy(app);
  });
  after(() => n.close());

  it('holds at most its byte budget: 60 bodies of 6 MB minus one byte do not grow the server', async () => {
    const size = 6 * 1024 * 1024 - 1;
    const chunk = Buffer.alloc(size - 1, 0x61);
    const before = rssBytes();
    const conns: RawConnection[] = [];
    for (let i = 0; i < 60; i++) {
      const c = await rawConnect(n.gatewayUrl);
      c.socket.write(`POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`);
      c.socket.write(chunk);
      conns.push(c);
    }
    // Every refused one got its answer; the admitted ones wait for their last byte.
    const refused = (await Promise.all(conns.map((c) => waitFor(c, '\r\n\r\n{', 1500)))).filter((r) => r.startsWith('HTTP/1.1 503'));
    const grown = rssBytes() - before;
    assert.ok(refused.length >= 50, `only ${refused.length} of 60 were refused`);
    assert.match(refused[0]!, /"code":"OVERLOADED"/);
    assert.match(refused[0]!, /retry-after: 1/i);
    assert.ok(grown < 160 * 1024 * 1024, `the server grew by ${Math.round(grown / 1024 / 1024)} MB`);
    for (const c of conns) c.socket.destroy();
    // Connections gone, their share is back: a full-size body is admitted again.
    const res = await n.fetch('/echo', { method: 'POST', body: Buffer.alloc(5 * 1024 * 1024, 0x62) });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), String(5 * 1024 * 1024));
  });

  it('refuses a chunked body once it goes over the budget', async () => {
    const c = await rawConnect(n.gatewayUrl);
    c.socket.write(`POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const piece = Buffer.alloc(1024 * 1024, 0x61);
    const holders: RawConnection[] = [];
    for (let i = 0; i < 5; i++) {
      const h = await rawConnect(n.gatewayUrl);
      h.socket.write(`POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: ${6 * 1024 * 1024 - 1}\r\n\r\n`);
      holders.push(h);
    }
    for (let i = 0; i < 6 && !c.received(); i++) c.socket.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
    const raw = await waitFor(c, '"code"');
    assert.match(raw, /^HTTP\/1\.1 503 /);
    assert.match(raw, /OVERLOADED/);
    for (const h of [c, ...holders]) h.socket.destroy();
  });

  // Node's defaults (60 s for headers, 300 s for a request) would hold both far past this test's bound.
  it('closes a connection whose headers or body do not arrive in time', { timeout: 20_000 }, async () => {
    const slow = await rawConnect(n.gatewayUrl);
    slow.socket.write('GET /public/a HTTP/1.1\r\nHost: a\r\nX-Slow: 1\r\n');
    await slow.closed;
    assert.match(slow.received(), /^(HTTP\/1\.1 408 |$)/);
    const slowBody = await rawConnect(n.gatewayUrl);
    slowBody.socket.write('POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc');
    await slowBody.closed;
    assert.match(slowBody.received(), /^HTTP\/1\.1 408 /);
  });
});

describe('gateway: connection limits (finding 11)', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus({ gateway: { maxConnections: 12, maxConnectionsPerClient: 5 } });
    await n.deploy(app);
  });
  after(() => n.close());

  it('closes connections over the per-client limit at once, and admits again when one closes', async () => {
    const held: RawConnection[] = [];
    for (let i = 0; i < 5; i++) held.push(await rawConnect(n.gatewayUrl));
    const extra = await rawConnect(n.gatewayUrl);
    await extra.closed;
    assert.match(extra.received(), /^HTTP\/1\.1 503 [\s\S]*OVERLOADED/);
    held.pop()!.socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const raw = await rawExchange(n.gatewayUrl, get('/public/ok'));
    assert.match(raw, /^HTTP\/1\.1 200 /);
    for (const c of held) c.socket.destroy();
  });
});

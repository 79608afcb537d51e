/**
 * What a function's code sees and what its answer becomes, for both handler styles: the web
 * style's Request/env/ctx and Response, the Lambda style's API Gateway v2.0 event, context and
 * result rules, CommonJS and npm dependencies bundled in, and direct invokes through the control API.
 */
import { strict as assert } from 'node:assert';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const WEB = `
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const body = request.method === 'POST' ? await request.json() : null;
    ctx.waitUntil(new Promise((r) => setTimeout(r, 200)).then(() => console.log('waitUntil ran')));
    const headers = new Headers({ 'content-type': 'application/json', 'x-custom': 'custom-value' });
    headers.append('set-cookie', 'a=1; Path=/');
    headers.append('set-cookie', 'b=2; HttpOnly');
    return new Response(JSON.stringify({
      isRequest: request instanceof Request,
      method: request.method, url: request.url, path: url.pathname, q: url.searchParams.getAll('q'),
      header: request.headers.get('x-test'), body,
      env: { GREETING: env.GREETING, COUNT: env.COUNT },
      ctx: { invocationId: ctx.invocationId, functionName: ctx.functionName, version: ctx.version,
             deadline: ctx.deadline, waitUntil: typeof ctx.waitUntil },
    }), { status: 201, headers });
  },
};
`;

const LAMBDA = `
export const handler = async () => ({ statusCode: 500, body: 'the wrong export was called' });
export const lambdaHandler = async (event, context) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ event, context: { awsRequestId: context.awsRequestId, functionName: context.functionName,
    functionVersion: context.functionVersion, memoryLimitInMB: context.memoryLimitInMB,
    remaining: context.getRemainingTimeInMillis() } }),
});
`;

const BINARY = `
export const handler = async (event) => {
  const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  return { statusCode: 202, headers: { 'content-type': 'application/octet-stream', 'x-was-base64': String(event.isBase64Encoded) },
    cookies: ['s=1', 't=2; Secure'], isBase64Encoded: true, body: Buffer.from(bytes.reverse()).toString('base64') };
};
`;

const PLAIN = `export const handler = async (event) => event.queryStringParameters?.kind === 'number' ? 42 : [1, 'two', { three: 3 }];`;

const CALLBACK = `
export const handler = (event, context, callback) => {
  setTimeout(() => event.queryStringParameters?.fail ? callback(new Error('callback failure'))
    : callback(null, { statusCode: 200, body: 'callback:' + event.rawPath }), 20);
};
`;

const LEGACY = `
const { sum } = require('./util.cjs');
const path = require('node:path');
exports.handler = async () => ({ statusCode: 200, body: JSON.stringify({ sum: sum(2, 3), joined: path.posix.join('a', 'b') }) });
`;

const DEP = `
import { shout } from 'tiny-dep';
export default { fetch: () => new Response(shout('bundled')) };
`;

/** Answers with Responses the platform made, not the function: a redirect, or an upstream fetch(). */
const NATIVE = `
export default {
  async fetch(request) {
    const to = new URL(request.url).searchParams.get('to');
    return to ? fetch(to) : Response.redirect('http://example.com/next', 302);
  },
};
`;

const DIRECT = `export const handler = async (event, context) => ({ got: event, id: context.awsRequestId });`;

type Json = Record<string, unknown>;

async function json(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

describe('handlers', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus();
    const { dir } = await n.deploy({
      'nimbus.yaml': manifest('handlers', {
        web: { handler: 'src/web.ts', env: { GREETING: 'hello', COUNT: 42 }, triggers: [{ http: 'POST /web/{id}' }] },
        lambda: { handler: 'src/app.lambdaHandler', memory: 256, timeout: 5, triggers: [{ http: 'ANY /lam/{id}/{proxy+}' }] },
        binary: { handler: 'src/binary.handler', triggers: [{ http: 'POST /binary' }] },
        plain: { handler: 'src/plain.handler', triggers: [{ http: 'GET /plain' }] },
        callback: { handler: 'src/callback.handler', triggers: [{ http: 'GET /callback' }] },
        legacy: { handler: 'src/legacy.handler', triggers: [{ http: 'GET /legacy' }] },
        dep: { handler: 'src/dep.ts', triggers: [{ http: 'GET /dep' }] },
        direct: { handler: 'src/direct.handler' },
        native: { handler: 'src/native.ts', triggers: [{ http: 'GET /native' }] },
      }),
      'src/web.ts': WEB,
      'src/app.mjs': LAMBDA,
      'src/binary.mjs': BINARY,
      'src/plain.mjs': PLAIN,
      'src/callback.mjs': CALLBACK,
      'src/legacy.cjs': LEGACY,
      'src/util.cjs': 'exports.sum = (a, b) => a + b;',
      'src/dep.ts': DEP,
      'src/direct.mjs': DIRECT,
      'src/native.ts': NATIVE,
      'node_modules/tiny-dep/package.json': JSON.stringify({ name: 'tiny-dep', version: '1.0.0', main: 'index.js' }),
      'node_modules/tiny-dep/index.js': "exports.shout = (s) => s.toUpperCase() + '!';",
    });
    // The sandbox must run the bundle, not the app directory: take the sources away.
    await rm(join(dir, 'node_modules'), { recursive: true });
    await rm(join(dir, 'src'), { recursive: true });
  });
  after(() => n.close());

  it('web style: a real Request, env and ctx in; status, headers and two cookies out', async () => {
    const t0 = Date.now();
    const res = await n.fetch('/web/abc?q=1&q=two', { method: 'POST', headers: { 'x-test': 'hi', 'content-type': 'application/json' }, body: '{"a":[1,2]}' });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-custom'), 'custom-value');
    assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; HttpOnly']);
    const id = res.headers.get('x-nimbus-invocation-id');
    const body = await json(res);
    assert.equal(body['isRequest'], true);
    assert.equal(body['method'], 'POST');
    assert.match(String(body['url']), /^http:\/\/[^/]+\/web\/abc\?q=1&q=two$/);
    assert.deepEqual(body['q'], ['1', 'two']);
    assert.equal(body['header'], 'hi');
    assert.deepEqual(body['body'], { a: [1, 2] });
    assert.deepEqual(body['env'], { GREETING: 'hello', COUNT: '42' });
    const ctx = body['ctx'] as Json;
    assert.equal(ctx['invocationId'], id);
    assert.equal(ctx['functionName'], 'web');
    assert.equal(ctx['version'], 1);
    assert.equal(ctx['waitUntil'], 'function');
    // timeout is 3 s: the deadline is about 3 s after the invocation started.
    const deadline = Number(ctx['deadline']);
    assert.ok(deadline >= t0 + 2000 && deadline <= Date.now() + 3000, `deadline ${deadline - t0} ms after the request`);
    // waitUntil work runs after the answer and is still the invocation's.
    await eventually(
      async () => {
        const { lines } = await n.client.logs('handlers', 'web', { invocation: id ?? '' });
        return lines.some((l) => l.line === 'waitUntil ran');
      },
      10_000,
      'the waitUntil log line',
    );
  });

  it('Lambda style: the named export gets the API Gateway v2.0 event and context', async () => {
    const res = await n.fetch('/lam/7/a/b/c?x=1&x=2&y=3', { headers: { cookie: 'c1=v1; c2=v2', 'x-test': 'hi' } });
    assert.equal(res.status, 200);
    const id = res.headers.get('x-nimbus-invocation-id');
    const { event, context } = (await json(res)) as { event: Json; context: Json };
    assert.equal(event['version'], '2.0');
    assert.equal(event['routeKey'], 'ANY /lam/{id}/{proxy+}');
    assert.equal(event['rawPath'], '/lam/7/a/b/c');
    assert.equal(event['rawQueryString'], 'x=1&x=2&y=3');
    assert.deepEqual(event['pathParameters'], { id: '7', proxy: 'a/b/c' });
    assert.deepEqual(event['queryStringParameters'], { x: '1,2', y: '3' });
    assert.deepEqual(event['cookies'], ['c1=v1', 'c2=v2']);
    assert.equal((event['headers'] as Json)['x-test'], 'hi');
    assert.equal(((event['requestContext'] as Json)['http'] as Json)['method'], 'GET');
    assert.equal(event['isBase64Encoded'], false);
    assert.equal(event['body'], undefined);
    assert.equal(context['awsRequestId'], id);
    assert.equal(context['functionName'], 'lambda');
    assert.equal(String(context['functionVersion']), '1');
    assert.equal(String(context['memoryLimitInMB']), '256');
    const remaining = Number(context['remaining']);
    assert.ok(remaining > 0 && remaining <= 5000, `getRemainingTimeInMillis() = ${remaining}`);
  });

  it('Lambda style: a binary body arrives base64-encoded and a base64 result goes out as bytes', async () => {
    const sent = Buffer.from([0, 255, 1, 254, 2, 253, 0x80, 0xc3]);
    const res = await n.fetch('/binary', { method: 'POST', body: sent, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('x-was-base64'), 'true');
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.deepEqual(res.headers.getSetCookie(), ['s=1', 't=2; Secure']);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), Buffer.from(sent).reverse());
  });

  it('Lambda style: a result without statusCode is answered 200 as JSON', async () => {
    const list = await n.fetch('/plain');
    assert.equal(list.status, 200);
    assert.match(list.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await list.json(), [1, 'two', { three: 3 }]);
    const num = await n.fetch('/plain?kind=number');
    assert.equal(num.status, 200);
    assert.equal(await num.json(), 42);
  });

  it('Lambda style: a callback handler answers through its callback, errors included', async () => {
    const ok = await n.fetch('/callback');
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'callback:/callback');
    const failed = await n.fetch('/callback?fail=1');
    assert.equal(failed.status, 502);
    assert.equal(((await json(failed))['error'] as Json)['code'], 'FUNCTION_ERROR');
  });

  it('a CommonJS handler can require its own files and node builtins', async () => {
    const res = await n.fetch('/legacy');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { sum: 5, joined: 'a/b' });
  });

  it('an ESM handler gets its npm dependency bundled in', async () => {
    const res = await n.fetch('/dep');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'BUNDLED!');
  });

  it('web style: a Response from Response.redirect() or from fetch() is sent as it is', async () => {
    const redirect = await n.fetch('/native', { redirect: 'manual' });
    assert.equal(redirect.status, 302, await redirect.clone().text());
    assert.equal(redirect.headers.get('location'), 'http://example.com/next');
    const proxied = await n.fetch(`/native?to=${encodeURIComponent(`${n.gatewayUrl}/dep`)}`);
    if (n.isolation.layers.some((l) => l.name === 'namespaces' && l.ok)) {
      // In its own network namespace, the node's gateway on the host's 127.0.0.1 is out of reach
      // (issue 8, finding 1): the fetch fails at once, the function's error is answered.
      assert.equal(proxied.status, 502, await proxied.clone().text());
      assert.match(await proxied.text(), /FUNCTION_ERROR/);
      return;
    }
    assert.equal(proxied.status, 200, await proxied.clone().text());
    assert.equal(await proxied.text(), 'BUNDLED!');
  });

  it('direct invoke: a Lambda-style function gets the event and answers its value as JSON', async () => {
    const event = { hello: 'world', list: [1, 2] };
    const r = await n.client.invoke('handlers', 'direct', event);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.error, null);
    assert.match(r.invocationId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(r.json(), { got: event, id: r.invocationId });
  });

  it('direct invoke: a web-style function gets a POST with the event as its JSON body', async () => {
    const event = { hello: 'web' };
    const r = await n.client.invoke('handlers', 'web', event);
    assert.equal(r.status, 201, r.body);
    assert.equal(r.headers['x-custom'], 'custom-value');
    const body = r.json() as Json;
    assert.equal(body['method'], 'POST');
    assert.equal(body['url'], 'http://invoke.nimbus/');
    assert.deepEqual(body['body'], event);
    assert.equal((body['ctx'] as Json)['invocationId'], r.invocationId);
  });
});

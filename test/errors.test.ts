/**
 * Gateway error contract, end to end: every way a function can fail answers with the documented
 * JSON error, status and code, carries the invocation id, and leaves a matching invocation record.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { InvocationRecord } from '../src/client/index.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const MB = 1024 * 1024;
const LIMIT = 6 * MB;

const web = (body: string): string => `export default { async fetch(request, env, ctx) { ${body} } };\n`;

const FILES: Record<string, string> = {
  'nimbus.yaml': manifest('errs', {
    boom: { handler: 'boom.js', triggers: [{ http: 'GET /boom' }] },
    hang: { handler: 'hang.js', timeout: 1, triggers: [{ http: 'GET /hang' }] },
    coldhang: { handler: 'coldhang.js', timeout: 1, triggers: [{ http: 'GET /coldhang' }] },
    heap: { handler: 'heap.js', memory: 128, timeout: 30, triggers: [{ http: 'GET /heap' }] },
    buf: { handler: 'buf.js', memory: 128, timeout: 30, triggers: [{ http: 'GET /buf' }] },
    exit: { handler: 'exit.js', triggers: [{ http: 'GET /exit' }] },
    echo: { handler: 'echo.js', triggers: [{ http: 'POST /echo' }] },
    bigweb: { handler: 'bigweb.js', triggers: [{ http: 'GET /big/web/{kind}' }] },
    biglambda: { handler: 'biglambda.handler', triggers: [{ http: 'GET /big/lambda' }] },
    broken: { handler: 'broken.js', triggers: [{ http: 'GET /broken' }] },
  }),
  'boom.js': `function explodeDeep() { throw new Error('boom-marker'); }\n${web('explodeDeep();')}`,
  // Ignores SIGTERM and never yields: only a SIGKILL ends it.
  'hang.js': web(`if (!request.url.includes('spin')) return new Response(String(globalThis.__instanceId ??= Math.random()));
    process.on('SIGTERM', () => {}); for (;;) {}`),
  'coldhang.js': web('for (;;) {}'),
  'heap.js': web(`const keep = []; for (let i = 0; ; i++) keep.push({ i, s: 'item-' + i, o: { a: [i, i + 1] } });`),
  // Filled, so every page is resident; pauses between allocations so only the host's RSS watch can stop it.
  'buf.js': web(`const keep = []; for (let i = 0; i < 512; i++) { keep.push(Buffer.alloc(4 * 1024 * 1024, 1)); await new Promise((r) => setTimeout(r, 5)); }
    return new Response('survived holding ' + keep.length * 4 + ' MB');`),
  'exit.js': web(`if (request.url.includes('die')) process.exit(1); return new Response(String(globalThis.__instanceId ??= Math.random()));`),
  'echo.js': web(`return new Response(String((await request.arrayBuffer()).byteLength));`),
  'bigweb.js': web(`const kind = new URL(request.url).pathname.split('/').pop(); const n = ${LIMIT} + (kind.startsWith('exact') ? 0 : 1);
    return kind.endsWith('bytes') ? new Response(new Uint8Array(n).fill(120)) : new Response('x'.repeat(n));`),
  'biglambda.js': `export const handler = async () => ({ statusCode: 200, body: 'x'.repeat(${LIMIT + 1}) });\n`,
  'broken.js': `console.log('init-attempt');\nthrow new Error('init-broken-marker');\n${web('return new Response("unreachable");')}`,
};

interface GatewayError {
  id: string | null;
  message: string;
  text: string;
}

/** Assert the documented error shape; `reached`: the request got to a function, so it has an invocation id. */
async function expectError(res: Response, status: number, code: string, reached = true): Promise<GatewayError> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; invocationId?: unknown } };
  assert.equal(body.error?.code, code, text.slice(0, 300));
  assert.equal(typeof body.error?.message, 'string');
  const id = res.headers.get('x-nimbus-invocation-id');
  if (reached) {
    assert.match(id ?? '', /^[0-9a-f-]{36}$/, 'X-Nimbus-Invocation-Id header');
    assert.equal(body.error?.invocationId, id, 'error.invocationId equals the header');
  }
  return { id, message: body.error?.message as string, text };
}

describe('gateway errors', () => {
  let n: TestNimbus;
  const record = (id: string): Promise<InvocationRecord> => eventually(() => n.client.getInvocation(id).catch(() => undefined), 5000, `invocation record ${id}`);
  const expectRecord = async (id: string, status: string, errorCode: string | null): Promise<void> => {
    const r = await record(id);
    assert.equal(r.status, status, JSON.stringify(r));
    assert.equal(r.errorCode, errorCode, JSON.stringify(r));
  };
  const text200 = async (path: string): Promise<string> => {
    const res = await n.fetch(path);
    const body = await res.text();
    assert.equal(res.status, 200, body.slice(0, 300));
    assert.match(res.headers.get('x-nimbus-invocation-id') ?? '', /^[0-9a-f-]{36}$/);
    return body;
  };

  before(async () => {
    n = await startTestNimbus();
    await n.deploy(FILES);
  });
  after(() => n.close());

  it('answers an unknown route with 404 ROUTE_NOT_FOUND as JSON', async () => {
    await expectError(await n.fetch('/no/such/route'), 404, 'ROUTE_NOT_FOUND', false);
  });

  it('answers a thrown error with 502 FUNCTION_ERROR, stack in the logs but not in the body', async () => {
    const { id, text } = await expectError(await n.fetch('/boom'), 502, 'FUNCTION_ERROR');
    assert.doesNotMatch(text, /\bat\s|data:text\/javascript|shim\.js|:\d+:\d+/, 'no stack trace in the HTTP body');
    await expectRecord(id!, 'error', 'FUNCTION_ERROR');
    const { lines } = await n.client.logs('errs', 'boom', { invocation: id! });
    const all = lines.map((l) => l.line).join('\n');
    assert.match(all, /boom-marker/, all);
    assert.match(all, /Error: boom-marker\n\s+at /, `the stack is in the function's log:\n${all}`);
  });

  it('answers a timeout with 504 FUNCTION_TIMEOUT, SIGKILLs the instance and replaces it', async () => {
    // An instance id, not process.pid: in its own pid namespace every instance is pid 2.
    const pid = Number(await text200('/hang'));
    assert.ok(pid > 0);
    const { id } = await expectError(await n.fetch('/hang?spin'), 504, 'FUNCTION_TIMEOUT');
    await expectRecord(id!, 'timeout', 'FUNCTION_TIMEOUT');
    // The instance ignores SIGTERM and never yields, so only a SIGKILL makes it go away.
    await eventually(async () => (await n.client.getFunction('errs', 'hang')).instances.total === 0, 5000, 'the timed-out instance to be gone');
    const next = Number(await text200('/hang'));
    assert.notEqual(next, pid, 'a fresh instance serves the next request');
  });

  // The first invocation of a cold instance is pipelined behind the load; the sandbox's 'loaded'
  // message waits in a corked socket until setImmediate, which a loop that never yields never reaches.
  it('answers a timeout on a cold instance (first invocation never yields) with 504 FUNCTION_TIMEOUT', async () => {
    const t0 = performance.now();
    const { id } = await expectError(await n.fetch('/coldhang'), 504, 'FUNCTION_TIMEOUT');
    assert.ok(performance.now() - t0 < 5000, 'answered soon after its 1 s timeout');
    await expectRecord(id!, 'timeout', 'FUNCTION_TIMEOUT');
  });

  it('answers a JS heap hog (memory: 128) with 502 FUNCTION_OOM', async () => {
    const { id } = await expectError(await n.fetch('/heap'), 502, 'FUNCTION_OOM');
    await expectRecord(id!, 'oom', 'FUNCTION_OOM');
  });

  it('answers a Buffer hog (memory: 128) with 502 FUNCTION_OOM from the RSS watch', async () => {
    const { id } = await expectError(await n.fetch('/buf'), 502, 'FUNCTION_OOM');
    await expectRecord(id!, 'oom', 'FUNCTION_OOM');
  });

  it('answers process.exit(1) with 502 FUNCTION_CRASHED and serves the next request', async () => {
    const pid = Number(await text200('/exit'));
    const { id } = await expectError(await n.fetch('/exit?die'), 502, 'FUNCTION_CRASHED');
    await expectRecord(id!, 'crashed', 'FUNCTION_CRASHED');
    const next = Number(await text200('/exit'));
    assert.ok(next > 0 && next !== pid, 'a fresh instance serves the next request');
  });

  it('accepts a 6 MB request body and refuses a larger one with 413 PAYLOAD_TOO_LARGE', async () => {
    assert.equal(await (await n.fetch('/echo', { method: 'POST', body: Buffer.alloc(LIMIT, 97) })).text(), String(LIMIT));
    await expectError(await n.fetch('/echo', { method: 'POST', body: Buffer.alloc(LIMIT + 1, 97) }), 413, 'PAYLOAD_TOO_LARGE', false);
    // Without a content-length (chunked), the limit holds while streaming.
    const chunk = Buffer.alloc(MB, 97);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 7) c.enqueue(chunk);
        else c.close();
      },
    });
    const init = { method: 'POST', body: stream, duplex: 'half' } as RequestInit;
    await expectError(await n.fetch('/echo', init), 413, 'PAYLOAD_TOO_LARGE', false);
  });

  it('answers a response over 6 MB with 502 RESPONSE_TOO_LARGE (web text, web bytes, Lambda)', async () => {
    assert.equal((await text200('/big/web/exact-text')).length, LIMIT, 'exactly 6 MB is allowed');
    for (const path of ['/big/web/text', '/big/web/bytes', '/big/lambda']) {
      const { id } = await expectError(await n.fetch(path), 502, 'RESPONSE_TOO_LARGE');
      await expectRecord(id!, 'error', 'RESPONSE_TOO_LARGE');
    }
  });

  it('answers a module that throws at load with 502 FUNCTION_INIT_ERROR, then backs off', async () => {
    const attempts = async (): Promise<number> => (await n.client.logs('errs', 'broken')).lines.filter((l) => l.line.includes('init-attempt')).length;
    const noInstance = () => eventually(async () => (await n.client.getFunction('errs', 'broken')).instances.total === 0, 5000, 'the failed instance to be gone');
    for (let i = 1; i <= 3; i++) {
      const { id, message } = await expectError(await n.fetch('/broken'), 502, 'FUNCTION_INIT_ERROR');
      // The public caller learns that it failed, not the function's text: that is in the record.
      assert.doesNotMatch(message, /init-broken-marker/, message);
      assert.match(message, /failed to start/, message);
      await expectRecord(id!, 'error', 'FUNCTION_INIT_ERROR');
      assert.match((await record(id!)).errorMessage ?? '', /init-broken-marker/, 'the record names the load error');
      await noInstance();
    }
    assert.equal(await attempts(), 3, 'each of the first requests loaded the module');
    // Failed three times in a row: the next requests answer at once without loading the module again.
    let last = '';
    let lastId = '';
    for (let i = 0; i < 10; i++) {
      const got = await expectError(await n.fetch('/broken'), 502, 'FUNCTION_INIT_ERROR');
      ({ message: last } = got);
      lastId = got.id!;
      assert.doesNotMatch(last, /init-broken-marker/, last);
    }
    const backedOff = (await record(lastId)).errorMessage ?? '';
    assert.match(backedOff, /init-broken-marker/, backedOff);
    assert.match(backedOff, /again/i, `the record says when Nimbus retries: ${backedOff}`);
    assert.equal(await attempts(), 3, 'no instance loaded the module while backing off');
  });
});

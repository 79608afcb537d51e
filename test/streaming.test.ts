/**
 * Response streaming end to end (issue 13 §3): a real node, real sandboxes, a real HTTP client.
 * Ordering is proven by markers, never by timing: the SSE function waits for a signal the client
 * sends only after it has read the first event, so a gateway that buffered the stream would never
 * deliver that event and the test would fail.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const SSE = `
export default {
  async fetch(request, env) {
    const enc = new TextEncoder();
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const id = new URL(request.url).searchParams.get('id');
    const body = new ReadableStream({
      async start(controller) {
        controller.enqueue(enc.encode('event: first\\ndata: hello\\n\\n'));
        // The client signals only after it has read the first event.
        while ((await env.SIG.get(id)) === null) await sleep(20);
        for (let i = 1; i <= 3; i++) {
          await sleep(300);
          controller.enqueue(enc.encode('data: tick ' + i + '\\n\\n'));
        }
        controller.close();
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
  },
};
`;
const SIGNAL = `export default { async fetch(request, env) { await env.SIG.put(new URL(request.url).searchParams.get('id'), '1'); return new Response('ok'); } };`;
const LAMBDA = `
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { 'content-type': 'text/plain', 'x-stream': 'yes' } });
  stream.write('one,');
  await new Promise((r) => setTimeout(r, 50));
  stream.write(Buffer.from('two,'));
  stream.end('three ' + event.rawPath);
});
`;
const SLOW = `
export default {
  fetch() {
    const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('partial')); } });
    return new Response(body);
  },
};
`;
// Module state survives between invocations of one instance: it proves the instance was reused.
const ENDLESS = `
let served = 0;
let cancelled = 0;
export default {
  fetch(request) {
    served++;
    const url = new URL(request.url);
    if (url.pathname.endsWith('/status')) return Response.json({ served, cancelled });
    const piece = new Uint8Array(64 * 1024).fill(120);
    const slow = url.searchParams.has('slow');
    const body = new ReadableStream({
      async pull(c) {
        if (slow) await new Promise((r) => setTimeout(r, 20));
        c.enqueue(piece);
      },
      cancel() { cancelled++; },
    });
    return new Response(body, { headers: { 'content-type': 'application/octet-stream' } });
  },
};
`;
const BUFFERED = `export default { fetch: () => new Response('buffered body') };`;

describe('response streaming', () => {
  let n: TestNimbus;

  before(async () => {
    n = await startTestNimbus();
    const SIG = { kv: 'stream-signals' };
    await n.deploy({
      'nimbus.yaml': manifest('streams', {
        sse: { handler: 'src/sse.ts', timeout: 20, bindings: { SIG }, triggers: [{ http: 'GET /sse' }] },
        signal: { handler: 'src/signal.ts', bindings: { SIG }, triggers: [{ http: 'POST /signal' }] },
        lam: { handler: 'src/lam.handler', triggers: [{ http: 'GET /lambda' }] },
        slow: { handler: 'src/slow.ts', timeout: 1, triggers: [{ http: 'GET /slow' }] },
        endless: { handler: 'src/endless.ts', timeout: 60, concurrency: 1, triggers: [{ http: 'GET /endless/{any+}' }] },
        buffered: { handler: 'src/buffered.ts', triggers: [{ http: 'GET /buffered' }] },
      }),
      'src/sse.ts': SSE,
      'src/signal.ts': SIGNAL,
      'src/lam.ts': LAMBDA,
      'src/slow.ts': SLOW,
      'src/endless.ts': ENDLESS,
      'src/buffered.ts': BUFFERED,
    });
  });
  after(() => n?.close());

  const record = (id: string) => eventually(() => n.client.getInvocation(id).catch(() => undefined), 10_000, `the record of ${id}`);

  it('an SSE client reads the first event while the function still runs, then the rest in order', async () => {
    const res = await n.fetch('/sse?id=a1');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    assert.equal(res.headers.get('content-length'), null);
    const id = res.headers.get('x-nimbus-invocation-id')!;
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('\n\n')) {
      const { value, done } = await reader.read();
      assert.equal(done, false, 'the stream ended before its first event');
      text += decoder.decode(value, { stream: true });
    }
    assert.equal(text, 'event: first\ndata: hello\n\n');
    // The function is still running (it waits for the signal): no record yet.
    await assert.rejects(n.client.getInvocation(id));
    assert.equal((await n.fetch('/signal?id=a1', { method: 'POST' })).status, 200);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.equal(text, 'event: first\ndata: hello\n\ndata: tick 1\n\ndata: tick 2\n\ndata: tick 3\n\n');
    const r = await record(id);
    assert.equal(r.status, 'ok');
    assert.equal(r.httpStatus, 200);
    assert.equal(r.responseBytes, Buffer.byteLength(text));
  });

  it('a Lambda streamifyResponse handler sets status and headers with HttpResponseStream.from', async () => {
    const res = await n.fetch('/lambda');
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-stream'), 'yes');
    assert.equal(res.headers.get('content-type'), 'text/plain');
    assert.equal(await res.text(), 'one,two,three /lambda');
    const r = await record(res.headers.get('x-nimbus-invocation-id')!);
    assert.equal(r.httpStatus, 201);
    assert.equal(r.responseBytes, 'one,two,three /lambda'.length);
  });

  it('the timeout ends a stream: the client sees it cut short, the record says timeout', async () => {
    const res = await n.fetch('/slow');
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), 'partial');
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) return;
    }, 'a timed-out stream must not end cleanly');
    const r = await record(res.headers.get('x-nimbus-invocation-id')!);
    assert.equal(r.status, 'timeout');
    assert.equal(r.responseBytes, 'partial'.length);
  });

  it('a stream past 20 MB is cut (the 6 MB limit does not apply), logged and recorded; the instance serves again', async () => {
    const res = await n.fetch('/endless/big');
    const id = res.headers.get('x-nimbus-invocation-id')!;
    let bytes = 0;
    await assert.rejects(async () => {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
    });
    assert.ok(bytes > 6 * 1024 * 1024, `only ${bytes} bytes arrived`);
    assert.ok(bytes <= 20 * 1024 * 1024, `${bytes} bytes arrived, over the limit`);
    const r = await record(id);
    assert.equal(r.status, 'error');
    assert.equal(r.errorCode, 'RESPONSE_TOO_LARGE');
    assert.equal(r.responseBytes, bytes);
    const logs = await n.client.logs('streams', 'endless', { invocation: id });
    assert.ok(JSON.stringify(logs).includes('stream limit'), 'the cut is in the function log');
    const status = (await (await n.fetch('/endless/status')).json()) as { served: number; cancelled: number };
    assert.deepEqual(status, { served: 2, cancelled: 1 });
  });

  it('a client that disconnects cancels the stream; the record says 499 and the instance is reused', async () => {
    const before = (await (await n.fetch('/endless/status')).json()) as { served: number; cancelled: number };
    const abort = new AbortController();
    const res = await n.fetch('/endless/slow?slow', { signal: abort.signal });
    const id = res.headers.get('x-nimbus-invocation-id')!;
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    const r = await record(id);
    assert.equal(r.httpStatus, 499);
    assert.equal(r.status, 'cancelled');
    const after = (await (await n.fetch('/endless/status')).json()) as { served: number; cancelled: number };
    assert.deepEqual(after, { served: before.served + 2, cancelled: before.cancelled + 1 });
  });

  it('buffered responses are unchanged and count their bytes; a direct invoke buffers a stream', async () => {
    const res = await n.fetch('/buffered');
    assert.equal(res.headers.get('content-length'), String('buffered body'.length));
    assert.equal(await res.text(), 'buffered body');
    const r = await record(res.headers.get('x-nimbus-invocation-id')!);
    assert.equal(r.responseBytes, 'buffered body'.length);
    const out = await n.client.invoke('streams', 'lam', { rawPath: '/direct' });
    assert.equal(out.status, 200);
    assert.equal(out.json(), 'one,two,three /direct');
  });
});

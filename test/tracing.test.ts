/**
 * Tracing end to end: a real node exports its spans over OTLP/HTTP to a receiver in this test
 * (JSON, so the test can read them; one check that protobuf export arrives too). A caller's
 * `traceparent` continues into the gateway and invocation spans, the function sees its context,
 * and a function that publishes to a topic carries the trace into the subscriber's delivery.
 */
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

/** A minimal OTLP/HTTP receiver: keeps every span of JSON bodies, and the raw protobuf bodies. */
async function receiver(): Promise<{ url: string; spans: OtlpSpan[]; protobuf: Buffer[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const protobuf: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url !== '/v1/traces') res.writeHead(404).end();
      else if (String(req.headers['content-type']).includes('json')) {
        const parsed = JSON.parse(body.toString()) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const rs of parsed.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        protobuf.push(body);
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, protobuf, close: () => new Promise((r) => server.close(() => r())) };
}

function attr(span: OtlpSpan, key: string): unknown {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : (v['stringValue'] ?? v['boolValue'] ?? (v['intValue'] !== undefined ? Number(v['intValue']) : undefined));
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

// Answers what it saw of the trace context, and publishes to a topic when asked.
const FRONT = `
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    let published = null;
    if (url.searchParams.has('publish')) published = await env.JOBS.publish({ n: 1 });
    if (url.searchParams.has('put')) await env.FILES.put('a.txt', 'hello');
    return Response.json({ ctx: ctx.traceparent ?? null, header: request.headers.get('traceparent'), published });
  },
};
`;
const LAMBDA = `export const handler = async (event, context) => ({ statusCode: 200, body: JSON.stringify({ ctx: context.traceparent ?? null, header: event.headers.traceparent ?? null }) });`;
const WORKER = `export default { async queue(batch, env, ctx) { await env.SEEN.put('traceparent', ctx.traceparent ?? 'none'); } };`;

const app = {
  'nimbus.yaml': manifest('traced', {
    front: { handler: 'src/front.ts', bindings: { JOBS: { topic: 'jobs' }, FILES: { bucket: 'files' } }, triggers: [{ http: 'GET /front' }] },
    lam: { handler: 'src/lam.handler', triggers: [{ http: 'GET /lam' }] },
    worker: { handler: 'src/worker.ts', bindings: { SEEN: { kv: 'seen' } }, triggers: [{ topic: 'jobs' }] },
    onfile: { handler: 'src/worker.ts', bindings: { SEEN: { kv: 'seen' } }, triggers: [{ bucket: 'files' }] },
    ticker: { handler: 'src/ticker.ts', triggers: [{ schedule: '* * * * * *' }] },
    peek: { handler: 'src/peek.ts', bindings: { SEEN: { kv: 'seen' } }, triggers: [{ http: 'GET /peek' }] },
  }),
  'src/front.ts': FRONT,
  'src/lam.ts': LAMBDA,
  'src/worker.ts': WORKER,
  'src/ticker.ts': 'export default { scheduled() {} };',
  'src/peek.ts': `export default { async fetch(r, env) { return new Response(await env.SEEN.get('traceparent')); } };`,
};

describe('tracing over OTLP/HTTP (JSON)', () => {
  let otlp: Awaited<ReturnType<typeof receiver>>;
  let n: TestNimbus;
  before(async () => {
    otlp = await receiver();
    n = await startTestNimbus({ tracing: { endpoint: otlp.url, protocol: 'http/json', serviceName: 'nimbus-test' } });
    await n.deploy(app);
  });
  after(async () => {
    await n?.close();
    await otlp?.close();
  });

  it('continues the caller traceparent in the gateway and invocation spans, with FaaS attributes, and in the record', async () => {
    const res = await n.fetch('/front', { headers: { traceparent: TRACEPARENT } });
    assert.equal(res.status, 200);
    const id = res.headers.get('x-nimbus-invocation-id')!;
    const seen = (await res.json()) as { ctx: string; header: string };
    const invocation = await eventually(() => otlp.spans.find((s) => attr(s, 'faas.invocation_id') === id && s.name === 'traced/front'), 10_000, 'the invocation span');
    const server = otlp.spans.find((s) => s.spanId === invocation.parentSpanId);
    assert.ok(server, 'the invocation span is a child of the gateway span');
    assert.equal(server.traceId, TRACE_ID);
    assert.equal(server.parentSpanId, '00f067aa0ba902b7', "the gateway span is a child of the caller's span");
    assert.equal(server.kind, 2, 'SERVER');
    assert.equal(attr(server, 'http.request.method'), 'GET');
    assert.equal(attr(server, 'url.path'), '/front');
    assert.equal(attr(server, 'http.response.status_code'), 200);
    assert.equal(invocation.traceId, TRACE_ID);
    assert.equal(attr(invocation, 'faas.trigger'), 'http');
    assert.equal(attr(invocation, 'faas.name'), 'front');
    assert.equal(attr(invocation, 'faas.version'), '1');
    assert.equal(typeof attr(invocation, 'faas.coldstart'), 'boolean');
    assert.equal(attr(invocation, 'faas.max_memory'), 128 * 1024 * 1024);
    // The function sees the invocation span as its parent context, in ctx and in the request header.
    assert.equal(seen.ctx, `00-${TRACE_ID}-${invocation.spanId}-01`);
    assert.equal(seen.header, seen.ctx);
    const record = await eventually(() => n.client.getInvocation(id).catch(() => undefined), 10_000, 'the record');
    assert.equal(record.traceId, TRACE_ID);
  });

  it('gives Lambda handlers context.traceparent and the header in the event', async () => {
    const res = await n.fetch('/lam', { headers: { traceparent: TRACEPARENT } });
    const seen = (await res.json()) as { ctx: string; header: string };
    assert.match(seen.ctx, new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    assert.notEqual(seen.ctx, TRACEPARENT, "the function's parent is its invocation span, not the caller's");
    assert.equal(seen.header, seen.ctx);
  });

  it('keeps one trace across HTTP → function → topic publish → subscriber delivery', async () => {
    const res = await n.fetch('/front?publish', { headers: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` } });
    assert.equal(res.status, 200);
    const worker = await eventually(() => otlp.spans.find((s) => s.name === 'traced/worker' && s.traceId === 'a'.repeat(32)), 15_000, 'the subscriber invocation span');
    const trace = otlp.spans.filter((s) => s.traceId === 'a'.repeat(32));
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    // worker invocation ← delivery attempt ← topic publish (binding call) ← front invocation ← gateway
    const chain: string[] = [];
    for (let s: OtlpSpan | undefined = worker; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) chain.push(s.name);
    assert.deepEqual(chain, ['traced/worker', 'process jobs', 'topic publish', 'traced/front', 'GET /front']);
    const record = await eventually(async () => (await n.client.listInvocations('traced', 'worker')).find((r) => r.traceId === 'a'.repeat(32)), 10_000, 'the subscriber record');
    assert.equal(record.trigger, 'topic');
    const peek = await (await n.fetch('/peek')).text();
    assert.equal(peek, `00-${'a'.repeat(32)}-${worker.spanId}-01`, 'the subscriber saw its own invocation span as context');
  });

  it('keeps one trace across a bucket write and the bucket event it causes', async () => {
    const trace = 'c'.repeat(32);
    assert.equal((await n.fetch('/front?put', { headers: { traceparent: `00-${trace}-${'d'.repeat(16)}-01` } })).status, 200);
    const onfile = await eventually(() => otlp.spans.find((s) => s.name === 'traced/onfile' && s.traceId === trace), 15_000, 'the bucket subscriber span');
    const byId = new Map(otlp.spans.filter((s) => s.traceId === trace).map((s) => [s.spanId, s]));
    const chain: string[] = [];
    for (let s: OtlpSpan | undefined = onfile; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) chain.push(s.name);
    assert.deepEqual(chain, ['traced/onfile', 'process files', 'bucket put', 'traced/front', 'GET /front']);
    assert.equal(attr(onfile, 'faas.trigger'), 'datasource');
  });

  it('starts a trace at each schedule firing that its delivery and invocation continue', async () => {
    const ticker = await eventually(() => otlp.spans.find((s) => s.name === 'traced/ticker'), 15_000, 'a scheduled invocation span');
    const attempt = otlp.spans.find((s) => s.spanId === ticker.parentSpanId);
    const firing = attempt && otlp.spans.find((s) => s.spanId === attempt.parentSpanId);
    assert.deepEqual([attempt?.name, firing?.name, firing?.parentSpanId ?? ''], ['process * * * * * *', 'schedule * * * * * *', '']);
    assert.equal(attr(ticker, 'faas.trigger'), 'timer');
    assert.equal(firing && attr(firing, 'faas.cron'), '* * * * * *');
  });
});

describe('tracing over OTLP/HTTP (protobuf, the default protocol)', () => {
  it('exports spans that reach the receiver', async () => {
    const otlp = await receiver();
    const n = await startTestNimbus({ tracing: { endpoint: otlp.url } });
    try {
      await n.deploy({ 'nimbus.yaml': manifest('pb', { f: { handler: 'src/f.ts', triggers: [{ http: 'GET /pb' }] } }), 'src/f.ts': 'export default { fetch: () => new Response("ok") }' });
      assert.equal((await n.fetch('/pb', { headers: { traceparent: TRACEPARENT } })).status, 200);
    } finally {
      await n.close(); // flushes
      await otlp.close();
    }
    const body = Buffer.concat(otlp.protobuf);
    assert.ok(body.includes(Buffer.from(TRACE_ID, 'hex')), 'a protobuf body carries the trace id');
  });
});

describe('without an endpoint', () => {
  it('passes the caller traceparent on unchanged and records its trace id', async () => {
    const n = await startTestNimbus();
    try {
      await n.deploy({ 'nimbus.yaml': manifest('plain', { f: { handler: 'src/f.ts', triggers: [{ http: 'GET /plain' }] } }), 'src/f.ts': FRONT });
      const res = await n.fetch('/plain', { headers: { traceparent: TRACEPARENT } });
      const seen = (await res.json()) as { ctx: string; header: string };
      assert.deepEqual([seen.ctx, seen.header], [TRACEPARENT, TRACEPARENT]);
      const id = res.headers.get('x-nimbus-invocation-id')!;
      const record = await eventually(() => n.client.getInvocation(id).catch(() => undefined), 10_000, 'the record');
      assert.equal(record.traceId, TRACE_ID);
      const untraced = await n.fetch('/plain');
      assert.deepEqual(await untraced.json(), { ctx: null, header: null, published: null });
    } finally {
      await n.close();
    }
  });
});

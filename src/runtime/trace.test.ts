import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { FunctionVersion, InvocationRecord } from '../domain/index.js';
import { endInvocation, startInvocation, withTraceparent } from './trace.js';

const fn = { app: 'shop', name: 'cart', version: 3, config: { memory: 256 } } as unknown as FunctionVersion;
const CALLER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function record(over: Partial<InvocationRecord> = {}): InvocationRecord {
  return {
    ...{ id: 'inv', app: 'shop', function: 'cart', version: 3, trigger: 'http', startedAt: 1_000, durationMs: 50, billedMs: 50, memoryMb: 256, maxMemoryMb: null },
    ...{ coldStart: false, initMs: null, status: 'ok', errorCode: null, errorMessage: null, httpStatus: 200, traceId: null },
    ...over,
  };
}

describe('invocation spans', () => {
  it('without a tracer, make no span and pass the caller context through unchanged', () => {
    const t = startInvocation(undefined, fn, 'inv', 'http', 1_000, CALLER);
    assert.deepEqual(t, { span: undefined, traceparent: CALLER, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    assert.deepEqual(startInvocation(undefined, fn, 'inv', 'http', 1_000, undefined), { span: undefined, traceparent: undefined, traceId: null });
    endInvocation(t, record(), undefined);
  });

  it('with a tracer, a child of the caller with FaaS attributes, plus an init span on a cold start', () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('t');
    const t = startInvocation(tracer, fn, 'inv', 'topic', 1_000, CALLER);
    assert.equal(t.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.match(t.traceparent!, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    endInvocation(t, record({ coldStart: true, initMs: 20, status: 'error', errorCode: 'FUNCTION_ERROR', errorMessage: 'boom' }), tracer);
    const [init, inv] = exporter.getFinishedSpans();
    assert.equal(inv?.name, 'shop/cart');
    assert.equal(inv?.parentSpanContext?.spanId, '00f067aa0ba902b7');
    assert.deepEqual(
      ['faas.trigger', 'faas.invocation_id', 'faas.name', 'faas.version', 'faas.max_memory', 'faas.coldstart', 'error.type'].map((k) => inv?.attributes[k]),
      ['pubsub', 'inv', 'cart', '3', 256 * 1024 * 1024, true, 'FUNCTION_ERROR'],
    );
    assert.equal(init?.name, 'init');
    assert.equal(init?.parentSpanContext?.spanId, inv?.spanContext().spanId);
  });

  it("an HTTP request's traceparent header becomes the function's context", () => {
    const req = { method: 'GET', path: '/', query: '', headers: { traceparent: CALLER }, body: null, b64: false, params: {}, route: 'GET /', ip: '' };
    const out = withTraceparent({ kind: 'http', req }, 'x');
    assert.equal(out.kind === 'http' && out.req.headers['traceparent'], 'x');
    assert.equal(req.headers.traceparent, CALLER, 'the gateway’s request is not changed');
  });
});

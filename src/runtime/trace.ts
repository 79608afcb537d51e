/**
 * The invocation's span (OTel FaaS semantic conventions) and, on a cold start, a child span for
 * the module's load. Without a tracer nothing here allocates: the caller's `traceparent` (if any)
 * is passed through unchanged, so functions and records still see the caller's trace.
 */
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { FunctionVersion, InvocationRecord, TriggerKind } from '../domain/index.js';
import type { InvocationInput } from './instance.js';
import { contextOf, parentContext, traceIdOf, traceparentOf } from '../tracing/index.js';

const MB = 1024 * 1024;

/** faas.trigger values (datasource, http, pubsub, timer, other) for each way Nimbus invokes. */
const FAAS_TRIGGER: Record<TriggerKind, string> = { http: 'http', webhook: 'http', api: 'other', event: 'other', topic: 'pubsub', schedule: 'timer', bucket: 'datasource', email: 'other' };

export interface InvocationTrace {
  span: Span | undefined;
  /** What the function sees (and what its binding calls continue): the invocation span, or the caller's context. */
  traceparent: string | undefined;
  /** For the record: the trace the invocation belongs to, or null when untraced. */
  traceId: string | null;
}

/** Start the invocation's span (a child of `traceparent`) when tracing is on. */
export function startInvocation(tracer: Tracer | undefined, fn: FunctionVersion, id: string, trigger: TriggerKind, startedAt: number, traceparent: string | undefined): InvocationTrace {
  if (!tracer) return { span: undefined, traceparent, traceId: traceIdOf(traceparent) };
  const span = tracer.startSpan(
    `${fn.app}/${fn.name}`,
    {
      // Behind the gateway's SERVER span an HTTP invocation is internal; an event's delivery is where it is consumed.
      kind: trigger === 'http' || trigger === 'webhook' ? SpanKind.INTERNAL : SpanKind.CONSUMER,
      startTime: startedAt,
      attributes: {
        'faas.trigger': FAAS_TRIGGER[trigger],
        'faas.invocation_id': id,
        'faas.name': fn.name,
        'faas.version': String(fn.version),
        'faas.max_memory': fn.config.memory * MB,
        'nimbus.app': fn.app,
        'nimbus.trigger': trigger,
      },
    },
    parentContext(traceparent),
  );
  return { span, traceparent: traceparentOf(span), traceId: span.spanContext().traceId };
}

/** End the invocation's span from its record (and add the cold start's init span). */
export function endInvocation(trace: InvocationTrace, record: InvocationRecord, tracer: Tracer | undefined): void {
  const { span } = trace;
  if (!span || !tracer) return;
  const end = record.startedAt + record.durationMs;
  span.setAttribute('faas.coldstart', record.coldStart);
  if (record.httpStatus !== null) span.setAttribute('http.response.status_code', record.httpStatus);
  if (record.status !== 'ok') {
    span.setStatus({ code: SpanStatusCode.ERROR, message: record.errorMessage ?? record.status });
    if (record.errorCode !== null) span.setAttribute('error.type', record.errorCode);
  }
  if (record.coldStart && record.initMs !== null) {
    // The load finished before the handler ran: placed at the invocation's start, as long as it took.
    tracer.startSpan('init', { startTime: record.startedAt, attributes: { 'faas.coldstart': true } }, contextOf(span)).end(record.startedAt + record.initMs);
  }
  span.end(end);
}

/** The input with the trace context the function sees; an HTTP request's `traceparent` header becomes it too. */
export function withTraceparent(input: InvocationInput, traceparent: string): InvocationInput {
  if (input.kind !== 'http') return { ...input, traceparent };
  return { ...input, traceparent, req: { ...input.req, headers: { ...input.req.headers, traceparent } } };
}

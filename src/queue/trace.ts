/**
 * Each delivery attempt of queued events is a CONSUMER span, a child of the span that enqueued
 * them (their `traceparent`: a publishing function's binding call, a schedule's firing), so a
 * chain publish → delivery → invocation stays one trace. Retries are sibling attempt spans.
 */
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { FunctionVersion } from '../domain/index.js';
import { parentContext, traceparentOf } from '../tracing/index.js';
import type { Delivery } from './batch.js';

export interface AttemptTrace {
  span: Span | undefined;
  /** What the invocation continues. */
  traceparent: string | undefined;
}

/** Start the attempt's span (tracing on); without a tracer the events' own context is passed on. */
export function startAttempt(tracer: Tracer | undefined, fn: FunctionVersion, d: Delivery): AttemptTrace {
  const first = d.events[0]!;
  if (!tracer) return { span: undefined, traceparent: first.traceparent };
  const span = tracer.startSpan(
    `process ${first.origin || `${fn.app}/${fn.name}`}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'nimbus',
        'messaging.operation.type': 'process',
        'messaging.destination.name': first.origin,
        'messaging.message.id': first.id,
        'messaging.batch.message_count': d.events.length,
        'nimbus.event.source': first.source,
        'nimbus.event.attempt': first.attempts,
        'nimbus.event.max_attempts': first.maxAttempts,
      },
    },
    parentContext(first.traceparent),
  );
  return { span, traceparent: traceparentOf(span) };
}

export function endAttempt(trace: AttemptTrace, ok: boolean, error?: string): void {
  if (!trace.span) return;
  if (!ok) trace.span.setStatus({ code: SpanStatusCode.ERROR, ...(error !== undefined ? { message: error } : {}) });
  trace.span.end();
}

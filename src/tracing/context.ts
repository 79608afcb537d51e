/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) as it crosses Nimbus: parsed from a
 * request, stored as a `traceparent` string on queued events, and turned back into a parent for
 * the next span. Explicit contexts only: Nimbus never installs a global context manager.
 */
import { ROOT_CONTEXT, trace, TraceFlags, type Context, type Span, type SpanContext } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context a `traceparent` (and `tracestate`) describe, or undefined when malformed. */
export function parseTraceparent(traceparent: string | undefined): SpanContext | undefined {
  const m = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim());
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** The trace id a `traceparent` carries, or null. */
export function traceIdOf(traceparent: string | undefined): string | null {
  return parseTraceparent(traceparent)?.traceId ?? null;
}

/** A parent context for a new span: the remote span `traceparent` names, or a new trace. */
export function parentContext(traceparent: string | undefined): Context {
  const sc = parseTraceparent(traceparent);
  return sc ? trace.setSpanContext(ROOT_CONTEXT, sc) : ROOT_CONTEXT;
}

/** The context whose current span is `span` (to start its children). */
export function contextOf(span: Span): Context {
  return trace.setSpan(ROOT_CONTEXT, span);
}

/** The `traceparent` header naming `span`. */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

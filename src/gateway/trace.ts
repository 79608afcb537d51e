/**
 * The gateway's SERVER span of a routed request (OTel HTTP semantic conventions), a child of the
 * caller's `traceparent`. Ended when the response closes, however the request was answered
 * (refused by auth, throttled, answered by the function), with the status the client got.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { parentContext, traceparentOf } from '../tracing/index.js';

/** The trace context the invocation continues: the server span when tracing, else the caller's header as sent. */
export function traceRequest(tracer: Tracer | undefined, req: IncomingMessage, res: ServerResponse, route: string, path: string, startedAt: number): string | undefined {
  const raw = req.headers.traceparent;
  // Repeated traceparent headers are invalid (W3C): a new trace.
  const incoming = typeof raw === 'string' ? raw : undefined;
  if (!tracer) return incoming;
  const method = req.method ?? 'GET';
  const span = tracer.startSpan(
    `${method} ${route.slice(route.indexOf(' ') + 1)}`,
    {
      kind: SpanKind.SERVER,
      startTime: startedAt,
      attributes: {
        'http.request.method': method,
        'url.path': path,
        'http.route': route,
        'url.scheme': 'http',
        ...(req.headers['user-agent'] ? { 'user_agent.original': req.headers['user-agent'] } : {}),
        ...(req.socket.remoteAddress ? { 'client.address': req.socket.remoteAddress } : {}),
      },
    },
    parentContext(incoming),
  );
  res.once('close', () => {
    const status = res.headersSent ? res.statusCode : 499;
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return traceparentOf(span);
}

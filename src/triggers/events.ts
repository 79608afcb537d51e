/** Building the queue events that triggers hand to functions. */
import type { FunctionVersion } from '../domain/index.js';
import type { EventShape, EventSource, NewEvent } from '../queue/port.js';
import { uuidv7 } from '../shared/ids.js';

export interface EventSpec {
  source: EventSource;
  shape: EventShape;
  origin: string;
  payload: unknown;
  idempotencyKey?: string;
  /** Defaults to a fresh UUIDv7. */
  id?: string;
  /** Invocations in the chain behind it (see MAX_HOPS); default 0. */
  hop?: number;
  /** W3C trace context of the span that caused it (NewEvent.traceparent). */
  traceparent?: string;
}

/** One event for `fn`, with its delivery limits (retries + 1 attempts, maxEventAge) from its config. */
export function eventFor(fn: FunctionVersion, spec: EventSpec, now: number): NewEvent {
  const event: NewEvent = {
    id: spec.id ?? uuidv7(now),
    target: { app: fn.app, function: fn.name },
    source: spec.source,
    shape: spec.shape,
    payload: spec.payload,
    origin: spec.origin,
    maxAttempts: (fn.config.retries ?? 2) + 1,
    expiresAt: now + (fn.config.maxEventAge ?? 21_600) * 1000,
  };
  if (spec.idempotencyKey !== undefined) event.idempotencyKey = spec.idempotencyKey;
  if (spec.hop) event.hop = spec.hop;
  if (spec.traceparent !== undefined) event.traceparent = spec.traceparent;
  return event;
}

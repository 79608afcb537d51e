/** The row shape of `queue_events` and its mapping to the port's types. */
import type { DeadEvent, EventShape, EventSource, QueuedEvent } from '../port.js';

export interface EventRow {
  id: string;
  app: string;
  function: string;
  source: string;
  shape: string;
  origin: string;
  payload: string;
  attempts: number;
  max_attempts: number;
  run_at: number;
  expires_at: number;
  created_at: number;
  last_error: string | null;
  dead_at: number | null;
  reason: string | null;
  hop: number;
  traceparent: string | null;
}

/** Every column a reader needs, in one place for SELECT and RETURNING. */
export const EVENT_COLUMNS = 'id, app, function, source, shape, origin, payload, attempts, max_attempts, run_at, expires_at, created_at, last_error, dead_at, reason, hop, traceparent';

export function toQueued(row: EventRow): QueuedEvent {
  const event: QueuedEvent = {
    id: row.id,
    target: { app: row.app, function: row.function },
    source: row.source as EventSource,
    shape: row.shape as EventShape,
    payload: JSON.parse(row.payload) as unknown,
    origin: row.origin,
    maxAttempts: row.max_attempts,
    expiresAt: row.expires_at,
    hop: row.hop,
    attempts: row.attempts,
    runAt: row.run_at,
    createdAt: row.created_at,
    lastError: row.last_error,
  };
  if (row.traceparent !== null) event.traceparent = row.traceparent;
  return event;
}

export function toDead(row: EventRow): DeadEvent {
  return { ...toQueued(row), deadAt: row.dead_at ?? 0, reason: row.reason ?? '' };
}

/** An id list as one bound parameter (`json_each(?)`), so a batch is one statement of any size. */
export function idList(ids: readonly string[]): string {
  return JSON.stringify(ids);
}

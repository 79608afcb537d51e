/**
 * What becomes of the events of one delivery, decided from its outcome (pure: no I/O, the clock
 * and the backoff passed in). The event life cycle of port.ts, from the dispatcher's side:
 *
 *   claimed (attempts counted) ─ hop ≥ MAX_HOPS (a loop) ───────────────────▶ dead (RECURSIVE_INVOCATION),
 *                                  no destination (it would be one hop further: the loop again)
 *                              ─ expired already ──────────────────────────▶ dead (EventAgeExceeded)
 *        │                      ─ attempts > maxAttempts (crashed the node) ▶ dead (RetriesExhausted)
 *        ▼ invoked
 *   THROTTLED / SHUTTING_DOWN ──▶ released: pending again, the attempt not counted
 *   ok (message not in `retry`) ─▶ done (deleted) + onSuccess destination
 *   failed, attempts < maxAttempts and the backoff ends before expiresAt ──▶ pending at now + delay
 *   failed otherwise ──▶ dead (RetriesExhausted / EventAgeExceeded) + onFailure destination
 *
 * A whole-invocation failure fails every message of a batch; a successful batch invocation may
 * name messages to retry (`retry` on the done message, `batchItemFailures` for Lambda).
 */
import type { ErrorCode } from '../shared/errors.js';
import { calculateDelay, type BackoffOptions } from './backoff.js';
import type { DestinationCondition } from './destinations.js';
import { MAX_HOPS, type QueuedEvent } from './port.js';

export type DeliveryOutcome = { ok: true; value: unknown; retry?: readonly string[] } | { ok: false; code: ErrorCode; message: string };

export type Settlement =
  | { kind: 'complete'; event: QueuedEvent }
  | { kind: 'release'; event: QueuedEvent }
  | { kind: 'retry'; event: QueuedEvent; runAt: number; error: string }
  | { kind: 'dead'; event: QueuedEvent; reason: string };

export interface Notice {
  event: QueuedEvent;
  condition: DestinationCondition;
  response: unknown;
  invokeCount: number;
}

export interface Decision {
  settlements: Settlement[];
  /** Outcomes for the function's destinations. */
  notices: Notice[];
  /** A line for the function's log (why an event was not delivered). */
  log?: string;
}

/** Capacity ran out between the check and the call, or the node is stopping: not the event's fault. */
const NOT_COUNTED: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['THROTTLED', 'SHUTTING_DOWN']);

/** An event that must not be delivered at all (checked right after the claim). */
export function refuse(event: QueuedEvent, now: number): Decision | null {
  if (event.hop >= MAX_HOPS) {
    const what = `${event.source} event ${event.id}${event.origin ? ` from ${event.origin}` : ''}`;
    const message = `${what} is hop ${event.hop} of a chain of invocations that trigger each other (the limit is ${MAX_HOPS}); it was not delivered`;
    return {
      settlements: [{ kind: 'dead', event, reason: `RECURSIVE_INVOCATION: ${message}` }],
      notices: [],
      log: `RECURSIVE_INVOCATION: ${message}: a function publishing to its own topic, writing its own bucket or sending destinations round in a loop? Fix it, then redrive it (\`nimbus dlq redrive\`).`,
    };
  }
  const invokeCount = event.attempts - 1;
  if (now >= event.expiresAt) {
    const response = { errorCode: 'EventAgeExceeded', errorMessage: `the event waited past its maxEventAge (${invokeCount} attempt(s) made)` };
    return dead(event, `EventAgeExceeded: ${response.errorMessage}`, 'EventAgeExceeded', response, invokeCount);
  }
  if (event.attempts > event.maxAttempts) {
    const errorMessage = `attempt ${event.attempts} of ${event.maxAttempts} never finished (the node stopped during it)`;
    return dead(event, `RetriesExhausted: ${errorMessage}`, 'RetriesExhausted', { errorCode: 'RetriesExhausted', errorMessage }, invokeCount);
  }
  return null;
}

export function decide(events: readonly QueuedEvent[], outcome: DeliveryOutcome, now: number, backoff: BackoffOptions): Decision {
  const out: Decision = { settlements: [], notices: [] };
  if (!outcome.ok && NOT_COUNTED.has(outcome.code)) {
    for (const event of events) out.settlements.push({ kind: 'release', event });
    return out;
  }
  const retry = new Set(outcome.ok ? (outcome.retry ?? []) : events.map((e) => e.id));
  for (const event of events) {
    if (!retry.has(event.id)) {
      out.settlements.push({ kind: 'complete', event });
      out.notices.push({ event, condition: 'Success', response: outcome.ok ? outcome.value : null, invokeCount: event.attempts });
      continue;
    }
    const error = outcome.ok ? { errorCode: 'MessageRetried', errorMessage: 'the function asked for this message again' } : { errorCode: outcome.code, errorMessage: outcome.message };
    const one = failed(event, error, now, backoff);
    out.settlements.push(...one.settlements);
    out.notices.push(...one.notices);
  }
  return out;
}

function failed(event: QueuedEvent, error: { errorCode: string; errorMessage: string }, now: number, backoff: BackoffOptions): Decision {
  const text = `${error.errorCode}: ${error.errorMessage}`;
  if (event.attempts >= event.maxAttempts) {
    return dead(event, `RetriesExhausted after ${event.attempts} attempt(s): ${text}`, 'RetriesExhausted', error, event.attempts);
  }
  const runAt = now + calculateDelay(event.attempts, backoff);
  if (runAt >= event.expiresAt) {
    return dead(event, `EventAgeExceeded: the next retry would come after maxEventAge; last error ${text}`, 'EventAgeExceeded', error, event.attempts);
  }
  return { settlements: [{ kind: 'retry', event, runAt, error: text }], notices: [] };
}

function dead(event: QueuedEvent, reason: string, condition: DestinationCondition, response: unknown, invokeCount: number): Decision {
  return { settlements: [{ kind: 'dead', event, reason }], notices: [{ event, condition, response, invokeCount }] };
}

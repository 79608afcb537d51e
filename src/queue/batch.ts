/**
 * Deliveries: what one invocation carries. An `invoke` or `scheduled` event is delivered alone;
 * `queue` events (topic, bucket and webhook messages) of one origin are delivered in batches of
 * up to the subscription's `batchSize` (topic triggers; 1 for everything else), as
 * `{ queue: <origin>, format?: 'sns', messages: [{ id, timestamp, body, attempts, attributes? }] }`.
 */
import type { FunctionVersion } from '../domain/index.js';
import type { QueuedEvent } from './port.js';
import { unwrapMessage } from './message.js';

export interface Delivery {
  /** The invocation id: the first event's id (every attempt of a lone event keeps its id). */
  id: string;
  events: QueuedEvent[];
  shape: QueuedEvent['shape'];
  payload: unknown;
}

/** The topic trigger of `fn` for `origin`, if the function subscribes to it. */
function topicTrigger(fn: FunctionVersion, origin: string) {
  for (const t of fn.config.triggers) if (t.type === 'topic' && t.topic === origin) return t;
  return undefined;
}

/** Messages per invocation for events from `origin`. */
export function batchSizeOf(fn: FunctionVersion, origin: string): number {
  return Math.max(1, topicTrigger(fn, origin)?.batchSize ?? 1);
}

/**
 * The largest batch any of the function's subscriptions wants and the longest window it waits
 * for one to fill: a target with fewer due events than that waits (from its oldest due event)
 * up to the window before delivering a partial batch.
 */
export function batchWindowOf(fn: FunctionVersion): { size: number; windowMs: number } {
  let size = 1;
  let windowMs = 0;
  for (const t of fn.config.triggers) {
    if (t.type !== 'topic' || t.batchSize <= 1) continue;
    size = Math.max(size, t.batchSize);
    windowMs = Math.max(windowMs, (t.maxBatchWindow ?? 0) * 1000);
  }
  return { size, windowMs };
}

/** Group claimed events (oldest first) into deliveries, keeping their order. */
export function toDeliveries(fn: FunctionVersion, events: QueuedEvent[]): Delivery[] {
  const out: Delivery[] = [];
  const open = new Map<string, QueuedEvent[]>();
  for (const e of events) {
    if (e.shape !== 'queue') {
      out.push({ id: e.id, events: [e], shape: e.shape, payload: e.payload });
      continue;
    }
    let batch = open.get(e.origin);
    if (batch === undefined || batch.length >= batchSizeOf(fn, e.origin)) {
      batch = [];
      open.set(e.origin, batch);
      out.push({ id: e.id, events: batch, shape: 'queue', payload: undefined });
    }
    batch.push(e);
  }
  for (const d of out) {
    if (d.shape !== 'queue') continue;
    const first = d.events[0]!;
    // `format: 'sns'`: the subscription asked for SNS-shaped records (a topic trigger's `shape: sns`).
    const sns = first.source === 'topic' && topicTrigger(fn, first.origin)?.shape === 'sns';
    d.payload = {
      queue: first.origin,
      ...(sns ? { format: 'sns' } : {}),
      messages: d.events.map((e) => {
        const { body, attributes } = unwrapMessage(e.payload);
        return { id: e.id, timestamp: e.createdAt, body, attempts: e.attempts, ...(attributes ? { attributes } : {}) };
      }),
    };
  }
  return out;
}

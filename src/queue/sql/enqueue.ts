/**
 * Enqueue: insert events and claim their idempotency keys, inside the caller's transaction (the
 * group commit), so an event and its key become durable together or not at all.
 */
import type Database from 'better-sqlite3';
import type { EnqueueResult, NewEvent } from '../port.js';
import { IDEMPOTENCY_TTL_MS } from '../rules.js';

/** A NewEvent whose payload is already JSON text (serialised by the caller, so a bad payload fails only its own call). */
export type EncodedEvent = Omit<NewEvent, 'payload'> & { payload: string };

export function prepareEnqueue(db: Database.Database): (events: readonly EncodedEvent[], now: number) => EnqueueResult[] {
  // An id that already exists (a producer retrying with a deterministic id) is a duplicate too.
  const insert = db.prepare(`INSERT INTO queue_events (id, app, function, state, source, shape, origin, payload,
      attempts, max_attempts, run_at, expires_at, created_at, hop, traceparent)
    VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`);
  // A key older than the TTL but not yet pruned no longer counts: the new event takes it over.
  const takeKey = db.prepare(`INSERT INTO queue_idempotency (app, function, key, event_id, created_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (app, function, key) DO UPDATE SET event_id = excluded.event_id, created_at = excluded.created_at
    WHERE queue_idempotency.created_at <= ?`);
  const keyOwner = db.prepare('SELECT event_id FROM queue_idempotency WHERE app = ? AND function = ? AND key = ?').pluck();

  return (events, now) => {
    const out: EnqueueResult[] = [];
    for (const e of events) {
      const { app, function: fn } = e.target;
      if (e.idempotencyKey !== undefined) {
        const taken = takeKey.run(app, fn, e.idempotencyKey, e.id, now, now - IDEMPOTENCY_TTL_MS).changes > 0;
        if (!taken) {
          out.push({ id: keyOwner.get(app, fn, e.idempotencyKey) as string, duplicate: true });
          continue;
        }
      }
      const inserted = insert.run(e.id, app, fn, e.source, e.shape, e.origin, e.payload, e.maxAttempts, e.runAt ?? now, e.expiresAt, now, e.hop ?? 0, e.traceparent ?? null).changes > 0;
      out.push({ id: e.id, duplicate: !inserted });
    }
    return out;
  };
}

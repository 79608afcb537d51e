/**
 * Enqueue a group of calls inside one transaction (the group commit's), set-based: one INSERT for
 * the idempotency keys, one for the events, whatever the number of callers, so a commit of 500
 * events costs a few round trips. Conflicts are answers, not errors (ON CONFLICT): a key another
 * event holds makes a duplicate, an id already stored makes a duplicate, and neither disturbs the
 * other callers of the batch.
 *
 * Keys are resolved in enqueue order as on SQLite: the first event of the batch with a key takes
 * it (unless a live one exists: then it is a duplicate of that key's event), later events of the
 * batch with the same key are duplicates of whatever the first resolved to. A key older than the
 * TTL but not yet pruned no longer counts: the new event takes it over.
 */
import type { EnqueueResult } from '../port.js';
import { IDEMPOTENCY_TTL_MS } from '../rules.js';
import type { EncodedEvent } from '../sql/enqueue.js';
import type { Queryable } from '../../pg/index.js';

const TAKE_KEYS = `INSERT INTO queue_idempotency (app, function, key, event_id, created_at)
  SELECT app, function, key, event_id, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(app, function, key, event_id)
  ON CONFLICT (app, function, key) DO UPDATE SET event_id = excluded.event_id, created_at = excluded.created_at
  WHERE queue_idempotency.created_at <= $6
  RETURNING app, function, key`;

const KEY_OWNERS = `SELECT i.app, i.function, i.key, i.event_id FROM queue_idempotency i
  JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(app, function, key) USING (app, function, key)`;

const INSERT_EVENTS = `INSERT INTO queue_events (id, app, function, state, source, shape, origin, payload,
    attempts, max_attempts, run_at, expires_at, created_at, hop, traceparent)
  SELECT id, app, function, 'pending', source, shape, origin, payload, 0, max_attempts, run_at, expires_at, $13, hop, traceparent
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::bigint[],
              $10::bigint[], $11::int[], $12::text[])
    AS e(id, app, function, source, shape, origin, payload, max_attempts, run_at, expires_at, hop, traceparent)
  ON CONFLICT (id) DO NOTHING
  RETURNING id`;

const keyOf = (app: string, fn: string, key: string): string => JSON.stringify([app, fn, key]);

/** Resolve idempotency keys: for each event with a key, the id it answers with (its own when it took the key). */
async function resolveKeys(db: Queryable, events: readonly EncodedEvent[], now: number): Promise<{ first: Map<string, EncodedEvent>; owners: Map<string, string> }> {
  const first = new Map<string, EncodedEvent>();
  for (const e of events) {
    if (e.idempotencyKey === undefined) continue;
    const k = keyOf(e.target.app, e.target.function, e.idempotencyKey);
    if (!first.has(k)) first.set(k, e);
  }
  const owners = new Map<string, string>();
  if (first.size === 0) return { first, owners };
  // The same order on every node and batch: two transactions taking the same keys in opposite
  // orders would deadlock (each waits for the other's uncommitted key).
  const firsts = [...first.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  const cols = [firsts.map((e) => e.target.app), firsts.map((e) => e.target.function), firsts.map((e) => e.idempotencyKey!)];
  const taken = await db.query<{ app: string; function: string; key: string }>(TAKE_KEYS, [...cols, firsts.map((e) => e.id), now, now - IDEMPOTENCY_TTL_MS]);
  for (const r of taken.rows) owners.set(keyOf(r.app, r.function, r.key), first.get(keyOf(r.app, r.function, r.key))!.id);
  if (owners.size < first.size) {
    const rest = firsts.filter((e) => !owners.has(keyOf(e.target.app, e.target.function, e.idempotencyKey!)));
    const held = await db.query<{ app: string; function: string; key: string; event_id: string }>(KEY_OWNERS, [
      rest.map((e) => e.target.app),
      rest.map((e) => e.target.function),
      rest.map((e) => e.idempotencyKey!),
    ]);
    for (const r of held.rows) owners.set(keyOf(r.app, r.function, r.key), r.event_id);
  }
  return { first, owners };
}

/**
 * Insert `events` (in order) and their keys. With keys this is several statements: `db` must then
 * be a client inside a transaction; without, it is one INSERT, atomic on the pool as it stands.
 */
export async function enqueueEvents(db: Queryable, events: readonly EncodedEvent[], now: number): Promise<EnqueueResult[]> {
  const { first, owners } = await resolveKeys(db, events, now);
  // The events that insert: those without a key and those that took theirs (first of the batch).
  const answer = events.map((e): EnqueueResult | undefined => {
    if (e.idempotencyKey === undefined) return undefined;
    const k = keyOf(e.target.app, e.target.function, e.idempotencyKey);
    const owner = owners.get(k);
    if (first.get(k) === e && owner === e.id) return undefined;
    return { id: owner ?? e.id, duplicate: true };
  });
  const toInsert = events.filter((_, i) => answer[i] === undefined);
  const inserted = new Set<string>();
  if (toInsert.length > 0) {
    const { rows } = await db.query<{ id: string }>(INSERT_EVENTS, [
      toInsert.map((e) => e.id),
      toInsert.map((e) => e.target.app),
      toInsert.map((e) => e.target.function),
      toInsert.map((e) => e.source),
      toInsert.map((e) => e.shape),
      toInsert.map((e) => e.origin),
      toInsert.map((e) => e.payload),
      toInsert.map((e) => e.maxAttempts),
      toInsert.map((e) => e.runAt ?? now),
      toInsert.map((e) => e.expiresAt),
      toInsert.map((e) => e.hop ?? 0),
      toInsert.map((e) => e.traceparent ?? null),
      now,
    ]);
    for (const r of rows) inserted.add(r.id);
  }
  // An id inserted once is fresh for its first event only; a repeat in the same batch is a duplicate.
  return events.map((e, i) => {
    const a = answer[i];
    if (a !== undefined) return a;
    const fresh = inserted.delete(e.id);
    return { id: e.id, duplicate: !fresh };
  });
}

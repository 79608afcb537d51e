/**
 * Acknowledgements of claimed events: complete, retry, release, dead-letter. Each acts only on
 * rows whose lease token is still the one this node was given at claim: a late acknowledgement
 * (the lease expired and another node claimed the event again, or recover released it) matches
 * nothing and changes nothing. Each returns how many rows it changed, so the caller can count
 * the stale ones. Retries and dead letters come one call per event (the port's shape) but many
 * in the same turn (the settler writes a batch at once): they are gathered (turn-batch.ts) into
 * one statement, not one commit each.
 */
import type { Queryable } from '../../pg/index.js';

/** The held events to act on: ids with the tokens of their leases. */
export interface Held {
  ids: string[];
  tokens: string[];
}

const MINE = `(id, lease_token) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND state = 'running'`;
const NO_LEASE = 'lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL';

/** Delivered: forgotten. */
export async function completeEvents(db: Queryable, held: Held): Promise<number> {
  if (held.ids.length === 0) return 0;
  return (await db.query(`DELETE FROM queue_events WHERE ${MINE}`, [held.ids, held.tokens])).rowCount ?? 0;
}

/** A failed attempt of a held event: pending again at `runAt` with the error kept. */
export interface RetryItem {
  id: string;
  token: string;
  runAt: number;
  error: string;
}

/** Failed attempts (every retry the settler writes at once, in one statement); returns the ids changed. */
export async function retryEvents(db: Queryable, items: readonly RetryItem[]): Promise<Set<string>> {
  const sql = `UPDATE queue_events e SET state = 'pending', run_at = u.run_at, last_error = u.error, ${NO_LEASE}
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS u(id, token, run_at, error)
    WHERE e.id = u.id AND e.lease_token = u.token AND e.state = 'running' RETURNING e.id`;
  const { rows } = await db.query<{ id: string }>(sql, [items.map((i) => i.id), items.map((i) => i.token), items.map((i) => Math.round(i.runAt)), items.map((i) => i.error)]);
  return new Set(rows.map((r) => r.id));
}

/** Not delivered for lack of capacity: pending again, the attempt not counted. */
export async function releaseEvents(db: Queryable, held: Held, runAt: number): Promise<number> {
  if (held.ids.length === 0) return 0;
  const sql = `UPDATE queue_events SET state = 'pending', run_at = $3, attempts = greatest(attempts - 1, 0), ${NO_LEASE} WHERE ${MINE}`;
  return (await db.query(sql, [held.ids, held.tokens, Math.round(runAt)])).rowCount ?? 0;
}

/** A held event whose retries are exhausted or that is too old: to the dead-letter queue. */
export interface DeadItem {
  id: string;
  token: string;
  reason: string;
  now: number;
}

/** Dead letters (all the settler writes at once, in one statement); returns the ids changed. */
export async function deadLetterEvents(db: Queryable, items: readonly DeadItem[]): Promise<Set<string>> {
  const sql = `UPDATE queue_events e SET state = 'dead', dead_at = u.now, reason = u.reason, ${NO_LEASE}
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS u(id, token, now, reason)
    WHERE e.id = u.id AND e.lease_token = u.token AND e.state = 'running' RETURNING e.id`;
  const { rows } = await db.query<{ id: string }>(sql, [items.map((i) => i.id), items.map((i) => i.token), items.map((i) => i.now), items.map((i) => i.reason)]);
  return new Set(rows.map((r) => r.id));
}

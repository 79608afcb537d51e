/**
 * Acknowledgements of claimed events: complete, retry, release, dead-letter. Each acts only on
 * rows whose lease token is still the one this node was given at claim: a late acknowledgement
 * (the lease expired and another node claimed the event again, or recover released it) matches
 * nothing and changes nothing. Each returns how many rows it changed, so the caller can count
 * the stale ones.
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

/** Failed this attempt: pending again at `runAt` with the error kept. */
export async function retryEvent(db: Queryable, held: Held, runAt: number, error: string): Promise<number> {
  if (held.ids.length === 0) return 0;
  const sql = `UPDATE queue_events SET state = 'pending', run_at = $3, last_error = $4, ${NO_LEASE} WHERE ${MINE}`;
  return (await db.query(sql, [held.ids, held.tokens, Math.round(runAt), error])).rowCount ?? 0;
}

/** Not delivered for lack of capacity: pending again, the attempt not counted. */
export async function releaseEvents(db: Queryable, held: Held, runAt: number): Promise<number> {
  if (held.ids.length === 0) return 0;
  const sql = `UPDATE queue_events SET state = 'pending', run_at = $3, attempts = greatest(attempts - 1, 0), ${NO_LEASE} WHERE ${MINE}`;
  return (await db.query(sql, [held.ids, held.tokens, Math.round(runAt)])).rowCount ?? 0;
}

/** Retries exhausted or too old: to the dead-letter queue. */
export async function deadLetterEvent(db: Queryable, held: Held, reason: string, now: number): Promise<number> {
  if (held.ids.length === 0) return 0;
  const sql = `UPDATE queue_events SET state = 'dead', dead_at = $3, reason = $4, ${NO_LEASE} WHERE ${MINE}`;
  return (await db.query(sql, [held.ids, held.tokens, now, reason])).rowCount ?? 0;
}

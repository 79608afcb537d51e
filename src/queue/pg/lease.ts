/** Lease upkeep: the heartbeat that extends this node's leases, start-up recovery, key retention. */
import type { Queryable } from '../../pg/index.js';
import type { Held } from './ack.js';

/**
 * Extend the leases still held (token unchanged) to `until`; returns the ids still held. Rows
 * another statement has locked (this node's own acknowledgement deleting them, most often) are
 * skipped rather than waited for, so the heartbeat can never deadlock with an acknowledgement;
 * they still count as held (the final SELECT reads the snapshot from before the UPDATE).
 */
export async function extendLeases(db: Queryable, held: Held, until: number): Promise<string[]> {
  if (held.ids.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(
    `WITH held AS (SELECT * FROM unnest($1::text[], $2::text[]) AS h(id, token)),
     locked AS (SELECT e.id FROM queue_events e JOIN held h ON e.id = h.id AND e.lease_token = h.token
                WHERE e.state = 'running' FOR UPDATE OF e SKIP LOCKED),
     extended AS (UPDATE queue_events e SET lease_expires_at = $3 FROM locked WHERE e.id = locked.id RETURNING e.id)
     SELECT e.id FROM queue_events e JOIN held h ON e.id = h.id AND e.lease_token = h.token WHERE e.state = 'running'`,
    [held.ids, held.tokens, until],
  );
  return rows.map((r) => r.id);
}

/**
 * Running events back to pending, but only those whose lease is dead: held by this node id (it
 * restarted, or is recovering: its old deliveries are gone) or expired. Another live node's
 * events are never touched. The interrupted attempt stays counted.
 */
export async function recoverEvents(db: Queryable, owner: string, now: number): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE queue_events SET state = 'pending', lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
     WHERE state = 'running' AND (lease_owner = $1 OR lease_expires_at < $2)`,
    [owner, now],
  );
  return rowCount ?? 0;
}

export async function pruneIdempotency(db: Queryable, before: number): Promise<number> {
  return (await db.query('DELETE FROM queue_idempotency WHERE created_at < $1', [before])).rowCount ?? 0;
}

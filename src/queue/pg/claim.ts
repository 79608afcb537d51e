/**
 * Claim: the oldest due events of one target become running under a lease of this node, attempts
 * + 1. Due means pending with run_at ≤ now, or running with an expired lease (its node died or
 * lost the database: any node may take it over). `FOR UPDATE SKIP LOCKED` lets N nodes claim from
 * the same target at once without waiting on each other or taking the same row twice.
 *
 * The two kinds of due rows are picked by two index scans (pending by (app, function, run_at),
 * running by lease expiry) and merged, so neither an OR nor a sort over the whole backlog is
 * needed; the losers of the merge are locked only until the statement ends.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../pg/index.js';
import type { EventTarget, QueuedEvent } from '../port.js';
import { EVENT_COLUMNS, toQueued, type EventRow } from '../sql/rows.js';

const CLAIM = `WITH expired AS (
    SELECT id, run_at, seq FROM queue_events
    WHERE state = 'running' AND lease_expires_at < $3 AND app = $1 AND function = $2
    ORDER BY run_at, seq LIMIT $4 FOR UPDATE SKIP LOCKED
  ), pending AS (
    SELECT id, run_at, seq FROM queue_events
    WHERE state = 'pending' AND app = $1 AND function = $2 AND run_at <= $3
    ORDER BY run_at, seq LIMIT $4 FOR UPDATE SKIP LOCKED
  ), picked AS (
    SELECT id FROM (SELECT * FROM expired UNION ALL SELECT * FROM pending) due ORDER BY run_at, seq LIMIT $4
  )
  UPDATE queue_events e SET state = 'running', attempts = e.attempts + 1,
    lease_owner = $5, lease_token = $6, lease_expires_at = $3::bigint + $7::bigint
  FROM picked WHERE e.id = picked.id
  RETURNING e.seq, ${EVENT_COLUMNS.split(', ')
    .map((c) => `e.${c}`)
    .join(', ')}`;

export interface Lease {
  owner: string;
  ms: number;
}

/** Claim up to `limit`; returns the events in delivery order and the token their lease carries. */
export async function claimEvents(db: Queryable, target: EventTarget, limit: number, now: number, lease: Lease): Promise<{ events: QueuedEvent[]; token: string }> {
  const token = randomUUID();
  if (limit <= 0) return { events: [], token };
  const { rows } = await db.query<EventRow & { seq: number }>(CLAIM, [target.app, target.function, now, Math.floor(limit), lease.owner, token, lease.ms]);
  // RETURNING has no defined order: put them back in delivery order.
  rows.sort((a, b) => a.run_at - b.run_at || a.seq - b.seq);
  return { events: rows.map(toQueued), token };
}

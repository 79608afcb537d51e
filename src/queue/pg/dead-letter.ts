/** The dead-letter queue: list a target's, redrive them (same semantics as ../sql/dead-letter.ts). */
import type { Queryable } from '../../pg/index.js';
import type { DeadEvent, EventTarget } from '../port.js';
import { EVENT_COLUMNS, toDead, type EventRow } from '../sql/rows.js';

/** Most recently dead-lettered first. */
export async function listDeadEvents(db: Queryable, target: EventTarget, limit: number): Promise<DeadEvent[]> {
  const { rows } = await db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM queue_events WHERE state = 'dead' AND app = $1 AND function = $2 ORDER BY dead_at DESC, seq DESC LIMIT $3`, [
    target.app,
    target.function,
    limit,
  ]);
  return rows.map(toDead);
}

/** One UPDATE whatever the size of the dead-letter queue: nothing is loaded into memory. */
export async function redriveEvents(db: Queryable, target: EventTarget, now: number, id?: string): Promise<number> {
  const set = `state = 'pending', attempts = 0, hop = 0, run_at = $1, expires_at = $1::bigint + (expires_at - created_at), dead_at = NULL, reason = NULL`;
  const where = `state = 'dead' AND app = $2 AND function = $3`;
  const { rowCount } =
    id === undefined
      ? await db.query(`UPDATE queue_events SET ${set} WHERE ${where}`, [now, target.app, target.function])
      : await db.query(`UPDATE queue_events SET ${set} WHERE ${where} AND id = $4`, [now, target.app, target.function, id]);
  return rowCount ?? 0;
}

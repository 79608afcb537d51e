/** Claim: the oldest due events of one target become running, attempts + 1 (counted at dispatch). */
import type Database from 'better-sqlite3';
import type { EventTarget, QueuedEvent } from '../port.js';
import { EVENT_COLUMNS, toQueued, type EventRow } from './rows.js';

export function prepareClaim(db: Database.Database): (target: EventTarget, limit: number, now: number) => QueuedEvent[] {
  const claim = db.prepare(`UPDATE queue_events SET state = 'running', attempts = attempts + 1
    WHERE id IN (SELECT id FROM queue_events WHERE state = 'pending' AND app = ? AND function = ? AND run_at <= ?
                 ORDER BY run_at, rowid LIMIT ?)
    RETURNING rowid AS seq, ${EVENT_COLUMNS}`);
  return (target, limit, now) => {
    if (limit <= 0) return [];
    const rows = claim.all(target.app, target.function, now, Math.floor(limit)) as Array<EventRow & { seq: number }>;
    // RETURNING has no defined order: put them back in delivery order.
    rows.sort((a, b) => a.run_at - b.run_at || a.seq - b.seq);
    return rows.map(toQueued);
  };
}

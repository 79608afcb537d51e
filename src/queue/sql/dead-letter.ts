/** Dead letters: move an event to the dead-letter queue, list a target's, redrive them. */
import type Database from 'better-sqlite3';
import type { DeadEvent, EventTarget } from '../port.js';
import { EVENT_COLUMNS, toDead, type EventRow } from './rows.js';

export function prepareDeadLetter(db: Database.Database): (id: string, reason: string, now: number) => void {
  const dead = db.prepare(`UPDATE queue_events SET state = 'dead', dead_at = ?, reason = ? WHERE id = ? AND state != 'dead'`);
  return (id, reason, now) => {
    dead.run(now, reason, id);
  };
}

/** Most recently dead-lettered first. */
export function prepareListDead(db: Database.Database): (target: EventTarget, limit: number) => DeadEvent[] {
  const list = db.prepare(`SELECT ${EVENT_COLUMNS} FROM queue_events WHERE state = 'dead' AND app = ? AND function = ?
    ORDER BY dead_at DESC, rowid DESC LIMIT ?`);
  return (target, limit) => (list.all(target.app, target.function, limit) as EventRow[]).map(toDead);
}

/** One UPDATE whatever the size of the dead-letter queue: nothing is loaded into memory. */
export function prepareRedrive(db: Database.Database): (target: EventTarget, now: number, id?: string) => number {
  const set = `state = 'pending', attempts = 0, hop = 0, run_at = @now, expires_at = @now + (expires_at - created_at), dead_at = NULL, reason = NULL`;
  const all = db.prepare(`UPDATE queue_events SET ${set} WHERE state = 'dead' AND app = @app AND function = @fn`);
  const one = db.prepare(`UPDATE queue_events SET ${set} WHERE id = @id AND state = 'dead' AND app = @app AND function = @fn`);
  return (target, now, id) => {
    const params = { now, app: target.app, fn: target.function };
    return (id === undefined ? all.run(params) : one.run({ ...params, id })).changes;
  };
}

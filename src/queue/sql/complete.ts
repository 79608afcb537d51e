/** Complete: delivered events are forgotten (one statement for the whole batch). */
import type Database from 'better-sqlite3';
import { idList } from './rows.js';

export function prepareComplete(db: Database.Database): (ids: readonly string[]) => void {
  // `+state` keeps the planner on the primary key instead of scanning every running event.
  const del = db.prepare(`DELETE FROM queue_events WHERE id IN (SELECT value FROM json_each(?)) AND +state = 'running'`);
  return (ids) => {
    if (ids.length > 0) del.run(idList(ids));
  };
}

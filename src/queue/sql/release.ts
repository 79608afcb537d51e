/** Release: claimed but not delivered (no capacity): pending again, the attempt not counted. */
import type Database from 'better-sqlite3';
import { idList } from './rows.js';

export function prepareRelease(db: Database.Database): (ids: readonly string[], runAt: number) => void {
  const release = db.prepare(`UPDATE queue_events SET state = 'pending', run_at = ?, attempts = max(attempts - 1, 0)
    WHERE id IN (SELECT value FROM json_each(?)) AND +state = 'running'`);
  return (ids, runAt) => {
    if (ids.length > 0) release.run(Math.round(runAt), idList(ids));
  };
}

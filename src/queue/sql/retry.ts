/** Retry: a failed attempt's event is pending again at a later runAt, its error kept. */
import type Database from 'better-sqlite3';

export function prepareRetry(db: Database.Database): (id: string, runAt: number, error: string) => void {
  const retry = db.prepare(`UPDATE queue_events SET state = 'pending', run_at = ?, last_error = ? WHERE id = ? AND state = 'running'`);
  return (id, runAt, error) => {
    retry.run(Math.round(runAt), error, id);
  };
}

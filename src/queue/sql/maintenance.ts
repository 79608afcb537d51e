/** Start-up recovery and idempotency-key retention. */
import type Database from 'better-sqlite3';

/** Events left running by a server that died mid-delivery are pending again (their attempt stays counted). */
export function prepareRecover(db: Database.Database): () => number {
  const recover = db.prepare(`UPDATE queue_events SET state = 'pending' WHERE state = 'running'`);
  return () => recover.run().changes;
}

export function preparePruneIdempotency(db: Database.Database): (before: number) => number {
  const prune = db.prepare('DELETE FROM queue_idempotency WHERE created_at < ?');
  return (before) => prune.run(before).changes;
}

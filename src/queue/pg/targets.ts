/**
 * Which targets have work. Due events are pending ones with run_at ≤ now and running ones whose
 * lease expired (their node is gone: the dispatchers of the other nodes must see them as due to
 * redeliver them). Targets with pending events are found by a recursive skip-scan over the
 * pending index (one probe per target, not one row per event, as on SQLite: sql/targets.ts);
 * the same scan answers the earliest pending run_at (no index of its own to maintain per insert);
 * running events are few (bounded by the nodes' in-flight caps) and are simply grouped.
 */
import type { Queryable } from '../../pg/index.js';
import { DUE_COUNT_CAP, type DueTarget, type EventTarget } from '../port.js';

/**
 * Each target with pending events and its earliest run_at: the first row of the pending index
 * is the first target's earliest event, and each probe seeks past the previous target to the next
 * one's earliest (a loose index scan; PostgreSQL has no skip-scan of its own).
 */
const HEADS = `WITH RECURSIVE heads AS (
    (SELECT app, function, run_at FROM queue_events WHERE state = 'pending' ORDER BY app, function, run_at LIMIT 1)
    UNION ALL
    SELECT n.app, n.function, n.run_at FROM heads h CROSS JOIN LATERAL (
      SELECT app, function, run_at FROM queue_events WHERE state = 'pending' AND (app, function) > (h.app, h.function)
      ORDER BY app, function, run_at LIMIT 1) n
  )`;

// The ORDER BY in the count keeps the planner on the pending index (a sequential scan "until
// 1000 rows match" reads every other target's rows too).
const DUE_TARGETS = `${HEADS}, pending AS (
    SELECT h.app, h.function, h.run_at AS oldest,
      (SELECT count(*) FROM (SELECT 1 FROM queue_events q WHERE q.state = 'pending' AND q.app = h.app AND q.function = h.function
                             AND q.run_at <= $1 ORDER BY q.run_at LIMIT $2) c) AS due
    FROM heads h WHERE h.run_at <= $1
  ), expired AS (
    SELECT app, function, min(run_at) AS oldest, count(*) AS due FROM queue_events
    WHERE state = 'running' AND lease_expires_at < $1 GROUP BY app, function
  )
  SELECT app, function, min(oldest)::bigint AS oldest, least(sum(due), $2)::bigint AS due
  FROM (SELECT * FROM pending UNION ALL SELECT * FROM expired) t
  GROUP BY app, function ORDER BY app, function`;

export async function dueTargets(db: Queryable, now: number): Promise<DueTarget[]> {
  const { rows } = await db.query<{ app: string; function: string; oldest: number; due: number }>(DUE_TARGETS, [now, DUE_COUNT_CAP]);
  return rows.map((r) => ({ app: r.app, function: r.function, due: r.due, oldestRunAt: r.oldest }));
}

/**
 * When the next event becomes due: the earliest pending runAt, or the moment the earliest lease
 * expires (a lease is claimable once expires_at < now); null when nothing is pending or running.
 */
export async function nextRunAt(db: Queryable): Promise<number | null> {
  const { rows } = await db.query<{ t: number | null }>(
    `${HEADS} SELECT least((SELECT min(run_at) FROM heads),
                  (SELECT min(lease_expires_at) + 1 FROM queue_events WHERE state = 'running'))::bigint AS t`,
  );
  return rows[0]?.t ?? null;
}

/** Pending + running events, of one target or all. */
export async function depth(db: Queryable, target?: EventTarget): Promise<number> {
  const { rows } =
    target === undefined
      ? await db.query<{ n: number }>(`SELECT count(*) AS n FROM queue_events WHERE state IN ('pending', 'running')`)
      : // Two counts, each on its partial index (an IN over both states matches neither).
        await db.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM queue_events WHERE state = 'pending' AND app = $1 AND function = $2)
                + (SELECT count(*) FROM queue_events WHERE state = 'running' AND app = $1 AND function = $2) AS n`,
          [target.app, target.function],
        );
  return rows[0]?.n ?? 0;
}

/** The PostgreSQL side of the per-minute rollups (../rollups.ts; SQLite: ../sqlite-rollups.ts). */
import type { PgClient, PgPool } from '../../pg/index.js';
import { HISTOGRAM_COLUMNS, ROLLUP_COUNTERS, rollupFromRow, type MinuteRollup, type RollupQuery } from '../rollups.js';

const H = HISTOGRAM_COLUMNS;
const COLUMNS = ['minute', 'app', 'function', ...ROLLUP_COUNTERS, 'max_duration_ms'];
const TYPES = ['bigint', 'text', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'float8', 'float8', 'float8', ...H.map(() => 'bigint'), 'float8'];

// One statement per batch, its columns as arrays (unnest), so the parameter count does not grow.
const UPSERT = `INSERT INTO invocation_rollups (${COLUMNS.join(', ')})
  SELECT * FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})
  ON CONFLICT (minute, app, function) DO UPDATE SET ${ROLLUP_COUNTERS.map((c) => `${c} = invocation_rollups.${c} + excluded.${c}`).join(', ')},
    max_duration_ms = greatest(invocation_rollups.max_duration_ms, excluded.max_duration_ms)`;

type Row = Record<string, number> & { app: string; function: string };

/**
 * Add deltas (from rollupDeltas) inside the records' transaction. Sorted by key, so two nodes
 * updating the same minutes lock the rows in the same order and cannot deadlock.
 */
export async function applyRollups(c: PgClient, deltas: readonly MinuteRollup[]): Promise<void> {
  if (deltas.length === 0) return;
  const sorted = [...deltas].sort((a, b) => a.minute - b.minute || cmp(a.app, b.app) || cmp(a.function, b.function));
  const values = (pick: (d: MinuteRollup) => unknown): unknown[] => sorted.map(pick);
  await c.query(UPSERT, [
    values((d) => d.minute),
    values((d) => d.app),
    values((d) => d.function),
    values((d) => d.invocations),
    values((d) => d.errors),
    values((d) => d.throttles),
    values((d) => d.coldStarts),
    values((d) => d.durationMs),
    values((d) => d.billedMs),
    values((d) => d.mbBilledMs),
    ...H.map((_, i) => values((d) => d.histogram[i] ?? 0)),
    values((d) => d.maxDurationMs),
  ]);
}

export async function queryRollups(pool: PgPool, q: RollupQuery): Promise<MinuteRollup[]> {
  const { rows } = await pool.query<Row>(
    `SELECT * FROM invocation_rollups
      WHERE minute >= $1 AND minute < $2 AND ($3::text IS NULL OR app = $3) AND ($4::text IS NULL OR function = $4)
        AND ($5::text[] IS NULL OR app = ANY($5::text[]))
      ORDER BY minute, app, function`,
    [q.since, q.until, q.app ?? null, q.function ?? null, q.apps === undefined ? null : [...q.apps]],
  );
  return rows.map(rollupFromRow);
}

/** Bytewise, as the "C" collation of the key columns orders them. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

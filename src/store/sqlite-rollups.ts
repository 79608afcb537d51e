/** The SQLite side of the per-minute rollups (rollups.ts, migration 0006). */
import type Database from 'better-sqlite3';
import { ROLLUP_COUNTERS, rollupFromRow, type MinuteRollup, type RollupQuery } from './rollups.js';

type Params = { since: number; until: number; app: string | null; fn: string | null; apps: string | null };
type Row = Record<string, number> & { app: string; function: string };

export class SqliteRollups {
  private readonly upsert;
  private readonly select;

  constructor(db: Database.Database) {
    const cols = ['minute', 'app', 'function', ...ROLLUP_COUNTERS, 'max_duration_ms'];
    this.upsert = db.prepare(`INSERT INTO invocation_rollups (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
      ON CONFLICT (minute, app, function) DO UPDATE SET ${ROLLUP_COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')},
        max_duration_ms = max(max_duration_ms, excluded.max_duration_ms)`);
    // json_each: the key's app list as one parameter; NULL = no filter.
    this.select = db.prepare<[Params], Row>(`SELECT * FROM invocation_rollups
      WHERE minute >= @since AND minute < @until AND (@app IS NULL OR app = @app) AND (@fn IS NULL OR function = @fn)
        AND (@apps IS NULL OR app IN (SELECT value FROM json_each(@apps)))
      ORDER BY minute, app, function`);
  }

  /** Add deltas (from rollupDeltas); call inside the records' transaction. */
  apply(deltas: readonly MinuteRollup[]): void {
    for (const d of deltas) {
      this.upsert.run(d.minute, d.app, d.function, d.invocations, d.errors, d.throttles, d.coldStarts, d.durationMs, d.billedMs, d.mbBilledMs, ...d.histogram, d.maxDurationMs);
    }
  }

  query(q: RollupQuery): MinuteRollup[] {
    const apps = q.apps === undefined ? null : JSON.stringify(q.apps);
    return this.select.all({ since: q.since, until: q.until, app: q.app ?? null, fn: q.function ?? null, apps }).map(rollupFromRow);
  }
}

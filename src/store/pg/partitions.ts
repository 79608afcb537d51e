/**
 * Day partitions of the telemetry tables (invocations by started_at, logs by ts; epoch ms, UTC
 * days). A partition `<table>_pYYYYMMDD` holds [day start, next day start) and is created on
 * demand before a batch that needs it is inserted, in a transaction of its own (creating a
 * partition locks its parent briefly; a long insert transaction must not hold that lock). Which
 * days exist is remembered per process; when another node dropped one (retention), the insert
 * fails with 23514 "no partition of relation found", the caller forgets what it knew and retries.
 * Creation and retention hold the advisory lock LOCK.partitions, so two nodes creating the same
 * day never race (and 42P07 "already exists" is ignored anyway).
 */
import { pgErrorCode, withTransaction, type PgClient, type PgPool } from '../../pg/index.js';
import { LOCK } from './schema.js';

export const DAY_MS = 86_400_000;
export type TelemetryTable = 'invocations' | 'logs';

export function dayOf(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS) * DAY_MS;
}

/** invocations_p20261201 for the day starting at `dayStart`. */
export function partitionName(table: TelemetryTable, dayStart: number): string {
  return `${table}_p${new Date(dayStart).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** The day a partition name stands for, or undefined for a name not of this scheme. */
function dayOfName(table: TelemetryTable, name: string): number | undefined {
  const m = new RegExp(`^${table}_p(\\d{4})(\\d{2})(\\d{2})$`).exec(name);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
}

export class DayPartitions {
  readonly #known = new Set<string>();

  constructor(private readonly pool: PgPool) {}

  /** Make sure a partition exists for every given epoch ms of `table`. */
  async ensure(table: TelemetryTable, times: Iterable<number>): Promise<void> {
    const missing = new Set<number>();
    for (const t of times) {
      const day = dayOf(t);
      if (!this.#known.has(partitionName(table, day))) missing.add(day);
    }
    if (missing.size === 0) return;
    await withTransaction(this.pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK.partitions]);
      for (const day of [...missing].sort((a, b) => a - b)) await createPartition(c, table, day);
    });
    for (const day of missing) this.#known.add(partitionName(table, day));
  }

  /** Forget what is known (another node dropped partitions). */
  forget(): void {
    this.#known.clear();
  }

  /**
   * Retention: drop whole partitions that end at or before `epochMs` (counting their rows first),
   * then delete the older rows of the partition that straddles it. Returns rows deleted.
   */
  async prune(table: TelemetryTable, column: 'started_at' | 'ts', epochMs: number): Promise<number> {
    return withTransaction(this.pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK.partitions]);
      const { rows } = await c.query<{ name: string }>(`SELECT child.relname AS name FROM pg_inherits i JOIN pg_class child ON child.oid = i.inhrelid WHERE i.inhparent = $1::regclass`, [table]);
      let deleted = 0;
      for (const { name } of rows) {
        const day = dayOfName(table, name);
        if (day === undefined || day + DAY_MS > epochMs) continue;
        const counted = await c.query<{ n: number }>(`SELECT count(*) AS n FROM ${name}`);
        deleted += counted.rows[0]?.n ?? 0;
        await c.query(`DROP TABLE ${name}`);
        this.#known.delete(name);
      }
      deleted += (await c.query(`DELETE FROM ${table} WHERE ${column} < $1`, [epochMs])).rowCount ?? 0;
      return deleted;
    });
  }

  /** Run `insert`; when a partition this process thought existed was dropped meanwhile, recreate and retry once. */
  async withRetry<T>(table: TelemetryTable, times: readonly number[], insert: () => Promise<T>): Promise<T> {
    await this.ensure(table, times);
    try {
      return await insert();
    } catch (err) {
      if (pgErrorCode(err) !== '23514') throw err;
      this.forget();
      await this.ensure(table, times);
      return insert();
    }
  }
}

async function createPartition(c: PgClient, table: TelemetryTable, day: number): Promise<void> {
  const name = partitionName(table, day);
  try {
    await c.query('SAVEPOINT partition');
    await c.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table} FOR VALUES FROM (${day}) TO (${day + DAY_MS})`);
    await c.query('RELEASE SAVEPOINT partition');
  } catch (err) {
    // Created by a node that did not take the lock (an older version): it exists, which is all we need.
    if (pgErrorCode(err) !== '42P07' && pgErrorCode(err) !== '23505') throw err;
    await c.query('ROLLBACK TO SAVEPOINT partition');
  }
}

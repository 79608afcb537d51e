/**
 * ScheduleState on PostgreSQL, for nodes sharing one database. The port is synchronous (the
 * scheduler reads it while arming timers), so the rows are loaded into memory at `open` and
 * every change is written through in the background.
 *
 * In a cluster every node runs the scheduler and each slot's enqueue is deduplicated by the
 * queue's idempotency key `<key>/<slot>`, so this shared row is only the catch-up hint a node reads
 * when it starts: losing the last write (a node dying) at worst re-offers slots the queue already
 * deduplicates. A write never moves `handled_until` back (GREATEST), so a node whose clock or
 * timers lag cannot undo another's progress.
 *
 * Writes are coalesced: the latest change per key waits in `dirty`, one drain at a time writes
 * them all (two statements), and a failed drain puts back what was not changed meanwhile and tries
 * again after `retryMs`.
 */
import { migratePg, withTransaction, type PgPool } from '../pg/index.js';
import type { ScheduleState } from './schedule-state.js';

/** Entry i is migration i + 1 of component 'schedule_state'. Append, never edit. */
export const SCHEDULE_STATE_PG_MIGRATIONS: readonly string[] = [
  // Per schedule: every slot at or before handled_until (epoch ms) was fired or deliberately skipped.
  `
  CREATE TABLE schedule_state (
    key           text COLLATE "C" NOT NULL PRIMARY KEY,
    handled_until bigint NOT NULL
  );
  `,
];

export interface PgScheduleStateOptions {
  /** The node's shared pool (never ended here). */
  pool: PgPool;
  log?: (line: string) => void;
  /** After a failed write, try again this much later, ms (default 5 s). */
  retryMs?: number;
}

/** A pending change: the new value, or null for a delete. */
type Change = number | null;

export class PgScheduleState implements ScheduleState {
  private readonly dirty = new Map<string, Change>();
  private draining: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly o: PgScheduleStateOptions,
    private readonly memory: Map<string, number>,
  ) {}

  /** Apply the migrations and load every row. */
  static async open(options: PgScheduleStateOptions): Promise<PgScheduleState> {
    await migratePg(options.pool, 'schedule_state', SCHEDULE_STATE_PG_MIGRATIONS);
    const { rows } = await options.pool.query<{ key: string; handled_until: number }>('SELECT key, handled_until FROM schedule_state');
    return new PgScheduleState(options, new Map(rows.map((r) => [r.key, r.handled_until])));
  }

  get(key: string): number | undefined {
    return this.memory.get(key);
  }

  set(key: string, handledUntil: number): void {
    this.memory.set(key, handledUntil);
    this.change(key, handledUntil);
  }

  delete(key: string): void {
    this.memory.delete(key);
    this.change(key, null);
  }

  /** Wait until every change made so far was written (or failed, and was logged). */
  async flush(): Promise<void> {
    // A drain that ends starts the next one for changes made meanwhile: wait for that one too.
    while (this.draining) await this.draining;
    if (this.dirty.size > 0) await this.drain();
  }

  /** Write what is pending; stops retrying. The pool stays open (the backend's). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.flush();
  }

  private change(key: string, value: Change): void {
    this.dirty.set(key, value);
    if (!this.draining) void this.drain();
  }

  private drain(): Promise<void> {
    if (this.draining) return this.draining;
    clearTimeout(this.retry);
    this.retry = undefined;
    const batch = new Map(this.dirty);
    this.dirty.clear();
    this.draining = this.write(batch)
      .catch((err: unknown) => {
        for (const [key, value] of batch) if (!this.dirty.has(key)) this.dirty.set(key, value);
        this.o.log?.(`scheduler: saving schedule state failed (${batch.size} schedules), trying again: ${(err as Error).message}`);
        if (!this.closed) {
          this.retry = setTimeout(() => void this.drain(), this.o.retryMs ?? 5_000);
          this.retry.unref();
        }
      })
      .finally(() => {
        this.draining = undefined;
        // Changes made while writing go out now, unless the write failed (the retry timer has them).
        if (this.dirty.size > 0 && !this.retry && !this.closed) void this.drain();
      });
    return this.draining;
  }

  private async write(batch: Map<string, Change>): Promise<void> {
    const setKeys: string[] = [];
    const setValues: number[] = [];
    const deleted: string[] = [];
    // Sorted: two nodes writing the same keys lock them in the same order (no deadlock).
    for (const [key, value] of [...batch].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (value === null) deleted.push(key);
      else {
        setKeys.push(key);
        setValues.push(value);
      }
    }
    await withTransaction(this.o.pool, async (c) => {
      if (deleted.length > 0) await c.query('DELETE FROM schedule_state WHERE key = ANY($1::text[])', [deleted]);
      if (setKeys.length > 0) {
        await c.query(
          `INSERT INTO schedule_state (key, handled_until) SELECT * FROM unnest($1::text[], $2::bigint[])
           ON CONFLICT (key) DO UPDATE SET handled_until = GREATEST(schedule_state.handled_until, excluded.handled_until)`,
          [setKeys, setValues],
        );
      }
    });
  }
}

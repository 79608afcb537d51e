/**
 * Where the scheduler remembers, per schedule, the instant up to which every slot was fired or
 * deliberately skipped (`handled_until`). Restarts read it, so a slot never fires twice and missed
 * slots are either skipped or caught up on purpose.
 */
import type Database from 'better-sqlite3';
import { migrateSqlite } from '../store/sqlite-migrate.js';

export interface ScheduleState {
  get(key: string): number | undefined;
  set(key: string, handledUntil: number): void;
  delete(key: string): void;
}

/**
 * Its own migrations (component `schedule_state` in `nimbus_migrations`, see
 * store/sqlite-migrate.ts). Store migration 0002 created the table before the adapters owned their
 * schemas: the first entry repeats its definition with IF NOT EXISTS, so an existing data dir
 * keeps its rows. Append, never edit.
 */
export const SCHEDULE_STATE_MIGRATIONS: readonly string[] = [
  // 0001 per schedule, every slot at or before handled_until was fired or deliberately skipped, so
  // a restart never fires a slot twice.
  `
  CREATE TABLE IF NOT EXISTS schedule_state (
    key           TEXT NOT NULL PRIMARY KEY,
    handled_until INTEGER NOT NULL
  ) STRICT;
  `,
];

/** The table `schedule_state` on a better-sqlite3 connection to any file; created when missing. */
export class SqliteScheduleState implements ScheduleState {
  private readonly getStmt;
  private readonly setStmt;
  private readonly deleteStmt;

  constructor(db: Database.Database) {
    migrateSqlite(db, 'schedule_state', SCHEDULE_STATE_MIGRATIONS);
    this.getStmt = db.prepare<[string], number>('SELECT handled_until FROM schedule_state WHERE key = ?').pluck();
    this.setStmt = db.prepare<[string, number]>(`INSERT INTO schedule_state (key, handled_until) VALUES (?, ?)
      ON CONFLICT (key) DO UPDATE SET handled_until = excluded.handled_until`);
    this.deleteStmt = db.prepare<[string]>('DELETE FROM schedule_state WHERE key = ?');
  }

  get(key: string): number | undefined {
    return this.getStmt.get(key);
  }

  set(key: string, handledUntil: number): void {
    this.setStmt.run(key, handledUntil);
  }

  delete(key: string): void {
    this.deleteStmt.run(key);
  }
}

export class MemoryScheduleState implements ScheduleState {
  private readonly map = new Map<string, number>();
  get(key: string): number | undefined {
    return this.map.get(key);
  }
  set(key: string, handledUntil: number): void {
    this.map.set(key, handledUntil);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}

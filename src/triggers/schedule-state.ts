/**
 * Where the scheduler remembers, per schedule, the instant up to which every slot was fired or
 * deliberately skipped (`handled_until`). Restarts read it, so a slot never fires twice and missed
 * slots are either skipped or caught up on purpose.
 */
import type Database from 'better-sqlite3';

export interface ScheduleState {
  get(key: string): number | undefined;
  set(key: string, handledUntil: number): void;
  delete(key: string): void;
}

/** The table `schedule_state` (migration 0002) on a better-sqlite3 connection. */
export class SqliteScheduleState implements ScheduleState {
  private readonly getStmt;
  private readonly setStmt;
  private readonly deleteStmt;

  constructor(db: Database.Database) {
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

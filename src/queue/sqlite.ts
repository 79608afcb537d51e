/**
 * The embedded event queue: tables in the node's SQLite file (`<data-dir>/nimbus.db`) on a
 * connection of its own, writes through group commit (group-commit.ts), one module per storage
 * operation (sql/*.ts), its own migrations (sqlite-schema.ts).
 *
 * Durability promise: `enqueue` resolves after COMMIT in WAL mode with synchronous=NORMAL: an
 * accepted event survives the Nimbus process dying in any way (kill -9, OOM kill, a crash), as the
 * store's rows do. Power loss or an OS crash may lose the last commits before a checkpoint;
 * `synchronous: 'FULL'` closes that too at the cost of an fsync per group commit on the event loop
 * (~0.13 ms on this machine's disk, 1-10 ms on real ones), which group commit amortises.
 * Reads (dueTargets, depth, listDead) run directly: a flush is synchronous, so they never see a
 * half-written batch.
 */
import Database from 'better-sqlite3';
import type { DeadEvent, DueTarget, EnqueueResult, EventQueue, EventTarget, NewEvent, QueuedEvent } from './port.js';
import { GroupCommit } from './group-commit.js';
import { clampDeadLimit } from './rules.js';
import { migrateQueue } from './sqlite-schema.js';
import { prepareClaim } from './sql/claim.js';
import { prepareComplete } from './sql/complete.js';
import { prepareDeadLetter, prepareListDead, prepareRedrive } from './sql/dead-letter.js';
import { prepareEnqueue, type EncodedEvent } from './sql/enqueue.js';
import { prepareRecover, preparePruneIdempotency } from './sql/maintenance.js';
import { prepareRelease } from './sql/release.js';
import { prepareRetry } from './sql/retry.js';
import { prepareDepth, prepareDueTargets, prepareNextRunAt } from './sql/targets.js';

export interface SqliteEventQueueOptions {
  /** The SQLite file (the store's nimbus.db in a node), or ':memory:'. */
  file: string;
  /** NORMAL (default): survives the process dying. FULL: also power loss, one fsync per group commit. */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * How long an enqueue waits for company before its commit, ms. Default 0: the group is whatever
   * arrived in the same event-loop turn (under load, every request parsed since the last commit).
   * Measured here with 32 concurrent callers, 32 events per commit either way, but 68-93k events/s
   * at 0 against 19-22k/s at 1 ms: a timer only adds latency when a commit costs ~15 µs.
   */
  commitDelayMs?: number;
  /** Flush a group at once when this many operations wait. Default 512. */
  maxBatch?: number;
  /** Epoch ms for createdAt stamps. */
  clock?: () => number;
}

function prepare(db: Database.Database) {
  return {
    enqueue: prepareEnqueue(db),
    claim: prepareClaim(db),
    complete: prepareComplete(db),
    retry: prepareRetry(db),
    release: prepareRelease(db),
    deadLetter: prepareDeadLetter(db),
    listDead: prepareListDead(db),
    redrive: prepareRedrive(db),
    dueTargets: prepareDueTargets(db),
    nextRunAt: prepareNextRunAt(db),
    depth: prepareDepth(db),
    recover: prepareRecover(db),
    pruneIdempotency: preparePruneIdempotency(db),
  };
}

export class SqliteEventQueue implements EventQueue {
  readonly #db: Database.Database;
  readonly #ops: ReturnType<typeof prepare>;
  readonly #group: GroupCommit;
  readonly #clock: () => number;

  static open(options: SqliteEventQueueOptions): SqliteEventQueue {
    const db = new Database(options.file);
    try {
      // Before journal_mode, so switching to WAL waits for another connection instead of failing.
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
      migrateQueue(db);
      return new SqliteEventQueue(db, options);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(db: Database.Database, options: SqliteEventQueueOptions) {
    this.#db = db;
    this.#ops = prepare(db);
    this.#group = new GroupCommit(db, { delayMs: options.commitDelayMs ?? 0, maxOps: options.maxBatch ?? 512 });
    this.#clock = options.clock ?? Date.now;
  }

  /** Commits and operations so far (group commit efficiency). */
  get stats(): { commits: number; ops: number } {
    return { ...this.#group.stats };
  }

  enqueue(events: NewEvent[]): Promise<EnqueueResult[]> {
    let encoded: EncodedEvent[];
    try {
      encoded = events.map((e) => ({ ...e, payload: JSON.stringify(e.payload) ?? 'null' }));
    } catch (err) {
      return Promise.reject(err);
    }
    const now = this.#clock();
    return this.#group.run(() => this.#ops.enqueue(encoded, now), true);
  }

  async dueTargets(now: number): Promise<DueTarget[]> {
    return this.#ops.dueTargets(now);
  }

  async nextRunAt(): Promise<number | null> {
    return this.#ops.nextRunAt();
  }

  claim(target: EventTarget, limit: number, now: number): Promise<QueuedEvent[]> {
    return this.#group.run(() => this.#ops.claim(target, limit, now));
  }

  complete(ids: string[]): Promise<void> {
    return this.#group.run(() => this.#ops.complete(ids));
  }

  retry(id: string, runAt: number, error: string): Promise<void> {
    return this.#group.run(() => this.#ops.retry(id, runAt, error));
  }

  release(ids: string[], runAt: number): Promise<void> {
    return this.#group.run(() => this.#ops.release(ids, runAt));
  }

  deadLetter(id: string, reason: string, now: number): Promise<void> {
    return this.#group.run(() => this.#ops.deadLetter(id, reason, now));
  }

  async listDead(target: EventTarget, limit?: number): Promise<DeadEvent[]> {
    return this.#ops.listDead(target, clampDeadLimit(limit));
  }

  redrive(target: EventTarget, now: number, id?: string): Promise<number> {
    return this.#group.run(() => this.#ops.redrive(target, now, id));
  }

  recover(_now: number): Promise<number> {
    return this.#group.run(() => this.#ops.recover());
  }

  pruneIdempotency(before: number): Promise<void> {
    return this.#group.run(() => void this.#ops.pruneIdempotency(before));
  }

  async depth(target?: EventTarget): Promise<number> {
    return this.#ops.depth(target);
  }

  async close(): Promise<void> {
    if (!this.#db.open) return;
    this.#group.close();
    this.#db.close();
  }
}

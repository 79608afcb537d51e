/**
 * Group commit: storage operations issued close together share one SQLite transaction, and each
 * caller's promise settles only after that transaction's COMMIT. A commit costs about the same
 * for 1 row or 100 (MEASUREMENTS.md: 71k single-row commits/s vs 438k rows/s in batches of 32 at
 * synchronous=NORMAL; 7.7k vs 173k at FULL), so gathering is what makes "202 only after durable"
 * cheap under concurrency.
 *
 * When a batch is flushed: at the end of the event-loop turn in which the first operation arrived
 * (setImmediate), taking everything issued in that turn: under load, every request parsed since the
 * previous commit, and while a commit (or its fsync with synchronous=FULL) blocks the loop, the
 * requests arriving meanwhile form the next group. Enqueues may instead wait `delayMs` for
 * company; any other operation (a claim, a completion) never waits for a timer. Each operation runs inside its own savepoint, so
 * one that throws (a constraint, a bad argument) is rolled back and rejected alone; a failed
 * COMMIT rejects every operation of the batch.
 */
import type Database from 'better-sqlite3';
import { NimbusError } from '../shared/errors.js';
import { immediate } from '../store/immediate.js';

interface Op {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface GroupCommitOptions {
  /** How long an enqueue waits for others to share its commit, ms (0 = end of the loop turn). */
  delayMs: number;
  /** Flush at once when this many operations wait. */
  maxOps: number;
}

export class GroupCommit {
  private ops: Op[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;
  private readonly commit: (ops: Op[]) => Outcome[];
  /** Transactions committed and operations they carried (the bench reports the ratio). */
  readonly stats = { commits: 0, ops: 0 };

  constructor(
    db: Database.Database,
    private readonly options: GroupCommitOptions,
  ) {
    // Called inside the outer transaction, better-sqlite3 turns this into a SAVEPOINT.
    const savepoint = db.transaction((op: Op) => op.run());
    // IMMEDIATE: an op may read before it writes; a deferred transaction would then fail at once
    // with SQLITE_BUSY ("database is locked", no busy wait) when another connection committed first.
    this.commit = immediate(
      db.transaction((ops: Op[]) =>
        ops.map((op): Outcome => {
          try {
            return { ok: true, value: savepoint(op) };
          } catch (error) {
            return { ok: false, error };
          }
        }),
      ),
    );
  }

  /** Run `op` in the next shared transaction; resolves with its result after COMMIT. */
  run<T>(op: () => T, gather = false): Promise<T> {
    if (this.closed) return Promise.reject(new NimbusError('SHUTTING_DOWN', 'the event queue is closed'));
    return new Promise<T>((resolve, reject) => {
      this.ops.push({ run: op, resolve: resolve as (v: unknown) => void, reject });
      if (this.ops.length >= this.options.maxOps) this.flush();
      else if (gather && this.options.delayMs > 0) this.timer ??= setTimeout(() => this.flush(), this.options.delayMs);
      else this.immediate ??= setImmediate(() => this.flush());
    });
  }

  /** Commit everything waiting, now (synchronous). */
  flush(): void {
    clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const ops = this.ops;
    if (ops.length === 0) return;
    this.ops = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.commit(ops);
    } catch (err) {
      for (const op of ops) op.reject(err);
      return;
    }
    this.stats.commits++;
    this.stats.ops += ops.length;
    outcomes.forEach((o, i) => (o.ok ? ops[i]!.resolve(o.value) : ops[i]!.reject(o.error)));
  }

  /** Commit what waits; later calls are refused. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}

/**
 * Group commit on PostgreSQL: enqueue calls arriving in the same event-loop turn, or while the
 * commits in flight are busy, share one transaction; each caller's promise settles only after
 * that COMMIT (synchronous_commit is on for the pool, so a settled promise means on disk). A
 * commit costs about the same for 1 row or 500, so gathering is what keeps "202 only after
 * durable" cheap under concurrency, as on SQLite (../group-commit.ts).
 *
 * At most `maxInFlight` commits run at once (the pool is shared with every other adapter): while
 * they run, new calls wait and form the next, larger group. A group whose transaction fails is
 * tried again call by call, each in a transaction of its own, when the error may be one call's
 * doing (a value the database refuses), so that call is rejected alone; a database that is down
 * rejects the group at once.
 */
import { NimbusError } from '../../shared/errors.js';

export interface PgGroupCommitOptions<I, O> {
  /** Commit the items of one group in one transaction; results in the same order. */
  commit: (items: I[]) => Promise<O[]>;
  /** Commits running at once at most. */
  maxInFlight: number;
  /** Items in one commit at most (a bigger group is split). */
  maxItems: number;
  /**
   * Whether a failed group is worth trying call by call: an error one call's values may have
   * caused (a constraint, a bad value), not a database that is down (each call alone would wait
   * for the connection timeout in turn).
   */
  isolate: (err: unknown) => boolean;
}

interface Call<I, O> {
  items: I[];
  resolve: (value: O[]) => void;
  reject: (err: unknown) => void;
}

export class PgGroupCommit<I, O> {
  private waiting: Call<I, O>[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  /** Transactions committed and calls they carried (the bench reports the ratio). */
  readonly stats = { commits: 0, ops: 0 };

  constructor(private readonly o: PgGroupCommitOptions<I, O>) {}

  /** Commit `items` with whatever else arrives now; resolves after COMMIT. */
  run(items: I[]): Promise<O[]> {
    if (this.closed) return Promise.reject(new NimbusError('SHUTTING_DOWN', 'the event queue is closed'));
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = undefined;
    while (this.waiting.length > 0 && this.inFlight.size < this.o.maxInFlight) {
      let n = 0;
      let count = 0;
      while (n < this.waiting.length && (n === 0 || count + this.waiting[n]!.items.length <= this.o.maxItems)) count += this.waiting[n++]!.items.length;
      const group = this.waiting.splice(0, n);
      const done = this.commitGroup(group).finally(() => {
        this.inFlight.delete(done);
        if (this.waiting.length > 0) this.scheduled ??= setImmediate(() => this.flush());
      });
      this.inFlight.add(done);
    }
  }

  private async commitGroup(group: Call<I, O>[]): Promise<void> {
    try {
      const out = await this.o.commit(group.flatMap((c) => c.items));
      this.stats.commits++;
      this.stats.ops += group.length;
      let at = 0;
      for (const c of group) {
        c.resolve(out.slice(at, at + c.items.length));
        at += c.items.length;
      }
    } catch (err) {
      if (group.length === 1 || !this.o.isolate(err)) {
        for (const c of group) c.reject(err);
        return;
      }
      // Find the culprit: each call alone (rare path; the common failures are answered by ON CONFLICT).
      for (const c of group) await this.commitGroup([c]);
    }
  }

  /** Wait for the commits in flight and those already waiting; later calls are refused. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.waiting.length > 0 || this.inFlight.size > 0) {
      if (this.scheduled !== undefined) clearImmediate(this.scheduled);
      this.flush();
      await Promise.all(this.inFlight);
    }
  }
}

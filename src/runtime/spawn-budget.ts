/**
 * One budget for starting sandbox processes, shared by the warm pool's refills and the runtime's
 * new instances. Starting Node costs ~60 ms of CPU; on a 2-core node a burst of first calls that
 * spawned one process per request would starve the requests themselves (load average 25-31 was
 * measured). So at most `parallel` processes start at once (default: the number of cores), and
 * waiting starts are granted in priority order: an instance that requests are waiting for before
 * a pool refill, first come first served within a priority.
 *
 * A grant is a permit, returned with `release()` once the process is up (or failed). A request can
 * be withdrawn while it waits (`cancel()`), e.g. when the demand that asked for it went away; the
 * holder re-checks that it still wants the process when the permit arrives.
 */

export type SpawnPriority = 'instance' | 'pool';

export interface Permit {
  release(): void;
}

export interface SpawnRequest {
  /** Resolves with a permit once one is free. */
  readonly granted: Promise<Permit>;
  /** Withdraw a request that is still waiting (no-op once granted). */
  cancel(): void;
}

interface Waiting {
  priority: SpawnPriority;
  grant: (permit: Permit) => void;
  cancelled: boolean;
}

export class SpawnBudget {
  private running = 0;
  private readonly waiting: Waiting[] = [];

  constructor(readonly parallel: number) {
    if (!(parallel >= 1)) throw new RangeError('the spawn budget needs at least 1 parallel start');
  }

  /** Starts under way now. */
  get inFlight(): number {
    return this.running;
  }

  /** Requests waiting for a permit, by priority. */
  queued(priority?: SpawnPriority): number {
    return this.waiting.filter((w) => !w.cancelled && (priority === undefined || w.priority === priority)).length;
  }

  /** A permit now, or undefined when every permit is taken (no waiting is queued). */
  tryAcquire(): Permit | undefined {
    if (this.running >= this.parallel) return undefined;
    return this.permit();
  }

  request(priority: SpawnPriority): SpawnRequest {
    let entry!: Waiting;
    const granted = new Promise<Permit>((grant) => (entry = { priority, grant, cancelled: false }));
    this.waiting.push(entry);
    this.pump();
    return {
      granted,
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  private permit(): Permit {
    this.running++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.running--;
        this.pump();
      },
    };
  }

  private pump(): void {
    while (this.running < this.parallel) {
      const next = this.next();
      if (!next) return;
      next.grant(this.permit());
    }
  }

  private next(): Waiting | undefined {
    let best = -1;
    for (let i = 0; i < this.waiting.length; i++) {
      const w = this.waiting[i]!;
      if (w.cancelled) continue;
      if (w.priority === 'instance') {
        best = i;
        break;
      }
      if (best === -1) best = i;
    }
    // Drop cancelled entries as we go, so the list cannot grow without bound.
    const picked = best === -1 ? undefined : this.waiting[best];
    if (best === -1) this.waiting.length = 0;
    else this.waiting.splice(best, 1);
    for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i]!.cancelled) this.waiting.splice(i, 1);
    return picked;
  }
}

/**
 * Settling finished deliveries, in batches: every `delayMs` the decisions gathered so far are
 * written together. Order matters for at-least-once without silent gaps:
 *   1. the invocation records (and log lines) of those attempts are made durable (`flushRecords`),
 *      so an event is never forgotten while the trace of its delivery could still be lost;
 *   2. destination records are enqueued (a crash after this resends them: duplicates, not losses);
 *   3. the queue operations (complete, retry, release, dead-letter) are issued in one loop turn, so
 *      they share one group commit.
 * A failed write leaves the events running; the next start's `recover` makes them pending again.
 */
import type { FunctionVersion } from '../domain/index.js';
import type { Clock } from '../shared/clock.js';
import type { Decision } from './delivery.js';
import { sendToDestination, type DestinationDeps } from './destinations.js';
import type { EventQueue } from './port.js';

export interface SettlerOptions {
  queue: EventQueue;
  destinations: DestinationDeps;
  clock: Clock;
  flushRecords?: (() => Promise<void>) | undefined;
  /** Gather decisions this long before writing them, ms. */
  delayMs: number;
  log: (line: string) => void;
  /** After a batch is written: retried and released events are pending again (the next pass sees them). */
  onSettled?: () => void;
  /** Each retry scheduled and each event dead-lettered (metrics). */
  onOutcome?: ((app: string, fn: string, outcome: 'retry' | 'dead') => void) | undefined;
}

interface Item {
  fn: FunctionVersion;
  decision: Decision;
}

export class Settler {
  private items: Item[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: SettlerOptions) {}

  add(fn: FunctionVersion, decision: Decision): void {
    this.items.push({ fn, decision });
    this.timer ??= setTimeout(() => void this.flush(), this.o.delayMs);
  }

  /** Write everything gathered so far; resolves when it (and any earlier write) is done. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.items;
    if (items.length === 0) return this.chain;
    this.items = [];
    this.chain = this.chain.then(() => this.write(items));
    return this.chain;
  }

  private async write(items: Item[]): Promise<void> {
    const { queue, clock, log } = this.o;
    try {
      await this.o.flushRecords?.();
    } catch (err) {
      log(`events: storing invocation records failed before settling ${items.length} deliveries: ${(err as Error).message}`);
    }
    const now = clock.now();
    await Promise.all(items.flatMap(({ fn, decision }) => decision.notices.map((n) => sendToDestination(this.o.destinations, { fn, ...n }, now))));
    const complete: string[] = [];
    const release: string[] = [];
    const writes: Promise<void>[] = [];
    for (const { fn, decision } of items) {
      for (const s of decision.settlements) {
        if (s.kind === 'complete') complete.push(s.event.id);
        else if (s.kind === 'release') release.push(s.event.id);
        else {
          this.o.onOutcome?.(fn.app, fn.name, s.kind === 'retry' ? 'retry' : 'dead');
          writes.push(s.kind === 'retry' ? queue.retry(s.event.id, s.runAt, s.error) : queue.deadLetter(s.event.id, s.reason, now));
        }
      }
    }
    if (complete.length > 0) writes.push(queue.complete(complete));
    if (release.length > 0) writes.push(queue.release(release, now));
    const results = await Promise.allSettled(writes);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    this.o.onSettled?.();
    if (failed.length > 0) log(`events: ${failed.length} queue update(s) failed; the events are retried after the next start: ${String((failed[0]!.reason as Error)?.message ?? failed[0]!.reason)}`);
  }
}

/**
 * Moving committed bucket events from `bucket_outbox` to the event queue, from any node.
 *
 * A row's life: written in the transaction of its change → claimed by one node (`FOR UPDATE SKIP
 * LOCKED`: two nodes draining at once take disjoint rows, so neither enqueues what the other is
 * enqueuing) → enqueued → deleted in the claiming transaction's commit. A node that dies after
 * claiming releases its lock with its connection: the row is claimed again by whoever drains next
 * (this node's kick after a write, or any node's periodic sweep, which is how a dead node's rows
 * get moved). A death between the enqueue and the commit enqueues the row twice; its idempotency
 * key (`bucket-event/<event id>`, fixed when the row was written) makes the second a no-op.
 */
import { withTransaction, type PgPool } from '../../pg/index.js';
import type { EventQueue, NewEvent } from '../../queue/port.js';

const PAGE = 500;
const RETRY_MS = 1000;
/** How often a node looks for rows nobody moved (left by a node that died). */
export const DEFAULT_OUTBOX_SWEEP_MS = 5000;

export interface OutboxOptions {
  pool: PgPool;
  queue: Pick<EventQueue, 'enqueue'>;
  log?: ((line: string) => void) | undefined;
  /** 0: no periodic sweep (tests drive it). */
  sweepMs: number;
}

export class PgOutbox {
  private draining: Promise<void> | null = null;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly o: OutboxOptions) {
    if (o.sweepMs > 0) this.timer = setInterval(() => this.kick(), o.sweepMs).unref();
  }

  /** Drain now (after a commit that wrote rows), or again right after the drain under way. */
  kick(): void {
    if (this.closed) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves once the drains this node started are over. */
  async drained(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.retry);
    await this.drained();
  }

  private async drain(): Promise<void> {
    for (;;) {
      let moved: number;
      try {
        moved = await this.page();
      } catch (err) {
        this.o.log?.(`buckets: moving bucket events to the queue failed, retrying in ${RETRY_MS} ms: ${(err as Error).message}`);
        clearTimeout(this.retry);
        if (!this.closed) this.retry = setTimeout(() => this.kick(), RETRY_MS).unref();
        return;
      }
      if (moved < PAGE) return;
    }
  }

  /** Claim, enqueue and delete one page of rows; returns how many. */
  private async page(): Promise<number> {
    return withTransaction(this.o.pool, async (c) => {
      const { rows } = await c.query<{ seq: number; event: string }>('SELECT seq, event FROM bucket_outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED', [PAGE]);
      if (rows.length === 0) return 0;
      await this.o.queue.enqueue(rows.map((r) => JSON.parse(r.event) as NewEvent));
      await c.query('DELETE FROM bucket_outbox WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.seq)]);
      return rows.length;
    });
  }
}

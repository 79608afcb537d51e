/**
 * The event queue on PostgreSQL, shared by N nodes (issue 11): one module per storage operation
 * beside this file, its own migrations (schema.ts), the node's shared pool (never ended here).
 *
 * Durability: `enqueue` resolves only after COMMIT with synchronous_commit on; concurrent calls
 * share one transaction (group-commit.ts), the event and its idempotency key in it together.
 *
 * The lease protocol, per event:
 *   pending (run_at ≤ now: due)
 *     → running(owner, token, expiry): a node claims it (FOR UPDATE SKIP LOCKED, so two nodes
 *       never take the same row), attempts + 1, a fresh random token, expiry = now + leaseMs.
 *       The claiming node remembers id → token; its heartbeat (every heartbeatMs) extends the
 *       expiry of every event it still holds, in one UPDATE.
 *   running(owner, token, expiry) → done (deleted), pending again (retry: later run_at; release:
 *       the attempt not counted) or dead: only by an acknowledgement quoting the token.
 *   running with expiry < now (its node died, hung, or lost the database) → claimable by any
 *       node as if pending (dueTargets and nextRunAt count it, so the others redeliver it within
 *       ~leaseMs); the new claim gives it a new owner and token.
 *   an acknowledgement with a stale token (the lease expired and the event was claimed again,
 *       or recovered) → no-op: the row is left to its new holder, the call resolves, and the
 *       stale acknowledgement is logged and counted (`stats.staleAcks`). At-least-once: the event
 *       may run twice, it is never lost.
 *   recover(now) at start-up → running events whose lease is this node's (same node id: the
 *       process restarted, its deliveries are gone) or expired go back to pending; another live
 *       node's events are never touched.
 *   close → the leases still held are expired at once, so other nodes take them over without
 *       waiting for leaseMs.
 * A failed acknowledgement (database unreachable) drops the lease from the heartbeat: it expires
 * and the event is redelivered, by this node or another. Times are the nodes' clocks, so they
 * must agree (NTP) to well within leaseMs.
 */
import type { PgPool } from '../../pg/index.js';
import { migratePg, pgErrorCode, withTransaction } from '../../pg/index.js';
import { NimbusError } from '../../shared/errors.js';
import type { DeadEvent, DueTarget, EnqueueResult, EventQueue, EventTarget, NewEvent, QueuedEvent } from '../port.js';
import { clampDeadLimit } from '../rules.js';
import type { EncodedEvent } from '../sql/enqueue.js';
import { completeEvents, deadLetterEvents, releaseEvents, retryEvents, type DeadItem, type Held, type RetryItem } from './ack.js';
import { claimEvents } from './claim.js';
import { listDeadEvents, redriveEvents } from './dead-letter.js';
import { enqueueEvents } from './enqueue.js';
import { PgGroupCommit } from './group-commit.js';
import { extendLeases, pruneIdempotency, recoverEvents } from './lease.js';
import { PG_QUEUE_MIGRATIONS } from './schema.js';
import { depth, dueTargets, nextRunAt } from './targets.js';
import { TurnBatch } from './turn-batch.js';

export interface PgEventQueueOptions {
  /** The node's shared pool (the backend ends it, not the queue). */
  pool: PgPool;
  /** This node's id: the owner of its leases, and what `recover` releases. */
  nodeId: string;
  /** Epoch ms for createdAt stamps and heartbeat expiries. Default Date.now. */
  clock?: () => number;
  /** How long a claim holds an event without a heartbeat, ms. Default 10 000. */
  leaseMs?: number;
  /** How often the leases held are extended, ms. Default leaseMs / 3. */
  heartbeatMs?: number;
  /**
   * How often the dispatcher is woken to look for work it was not told about (events another node
   * accepted, a dead node's), ms. Default 1 000.
   */
  pollMs?: number;
  /** Enqueue transactions in flight at once. Default 2. */
  maxCommits?: number;
  log?: (line: string) => void;
}

export class PgEventQueue implements EventQueue {
  readonly #pool: PgPool;
  readonly #nodeId: string;
  readonly #clock: () => number;
  readonly #leaseMs: number;
  readonly #log: (line: string) => void;
  readonly #group: PgGroupCommit<EncodedEvent & { now: number }, EnqueueResult>;
  /** The events this node holds: id → lease token. */
  readonly #held = new Map<string, string>();
  readonly #timer: NodeJS.Timeout;
  readonly #pollMs: number;
  readonly #watchers = new Set<() => void>();
  #poll: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #closed = false;
  readonly #counts = { staleAcks: 0, lostLeases: 0 };
  readonly #retries = new TurnBatch<RetryItem>((items) => retryEvents(this.#pool, items));
  readonly #deaths = new TurnBatch<DeadItem>((items) => deadLetterEvents(this.#pool, items));

  /** Migrate the queue's tables (once across nodes) and open the queue. */
  static async open(options: PgEventQueueOptions): Promise<PgEventQueue> {
    if (!/^[a-z0-9-]+$/.test(options.nodeId)) throw new NimbusError('BAD_REQUEST', `node id "${options.nodeId}" must be made of a-z, 0-9 and -`);
    await migratePg(options.pool, 'queue', PG_QUEUE_MIGRATIONS);
    return new PgEventQueue(options);
  }

  private constructor(o: PgEventQueueOptions) {
    this.#pool = o.pool;
    this.#nodeId = o.nodeId;
    this.#clock = o.clock ?? Date.now;
    this.#leaseMs = o.leaseMs ?? 10_000;
    this.#log = o.log ?? (() => {});
    this.#group = new PgGroupCommit({
      maxInFlight: o.maxCommits ?? 2,
      maxItems: 2_000,
      // SQLSTATE classes 22 (data exception) and 23 (integrity constraint): one call's values.
      isolate: (err) => /^2[23]/.test(pgErrorCode(err) ?? ''),
      // A group is stamped with the time of its first call (createdAt, the idempotency TTL cutoff).
      // Without idempotency keys a group is one INSERT, atomic on its own: autocommit saves the
      // BEGIN and COMMIT round trips (a commit's fsync is most of the cost either way).
      commit: (items) =>
        items.some((e) => e.idempotencyKey !== undefined) ? withTransaction(this.#pool, (c) => enqueueEvents(c, items, items[0]!.now)) : enqueueEvents(this.#pool, items, items[0]!.now),
    });
    this.#timer = setInterval(() => void this.heartbeat(), o.heartbeatMs ?? Math.max(1, Math.floor(this.#leaseMs / 3)));
    this.#timer.unref();
    this.#pollMs = o.pollMs ?? 1_000;
  }

  /** Enqueue commits and the calls they carried, and acknowledgements refused for a stale lease. */
  get stats(): { commits: number; ops: number; staleAcks: number; lostLeases: number } {
    return { ...this.#group.stats, ...this.#counts };
  }

  enqueue(events: NewEvent[]): Promise<EnqueueResult[]> {
    let encoded: Array<EncodedEvent & { now: number }>;
    const now = this.#clock();
    try {
      encoded = events.map((e) => ({ ...e, payload: JSON.stringify(e.payload) ?? 'null', now }));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#group.run(encoded);
  }

  async dueTargets(now: number): Promise<DueTarget[]> {
    this.#check();
    return dueTargets(this.#pool, now);
  }

  async nextRunAt(): Promise<number | null> {
    this.#check();
    return nextRunAt(this.#pool);
  }

  async claim(target: EventTarget, limit: number, now: number): Promise<QueuedEvent[]> {
    this.#check();
    const { events, token } = await claimEvents(this.#pool, target, limit, now, { owner: this.#nodeId, ms: this.#leaseMs });
    for (const e of events) this.#held.set(e.id, token);
    return events;
  }

  async complete(ids: string[]): Promise<void> {
    await this.#ack(ids, 'complete', (held) => completeEvents(this.#pool, held));
  }

  async retry(id: string, runAt: number, error: string): Promise<void> {
    await this.#ack([id], 'retry', async (held) => Number(await this.#retries.add({ id, token: held.tokens[0]!, runAt, error })));
  }

  async release(ids: string[], runAt: number): Promise<void> {
    await this.#ack(ids, 'release', (held) => releaseEvents(this.#pool, held, runAt));
  }

  async deadLetter(id: string, reason: string, now: number): Promise<void> {
    await this.#ack([id], 'dead-letter', async (held) => Number(await this.#deaths.add({ id, token: held.tokens[0]!, reason, now })));
  }

  async listDead(target: EventTarget, limit?: number): Promise<DeadEvent[]> {
    this.#check();
    return listDeadEvents(this.#pool, target, clampDeadLimit(limit));
  }

  async redrive(target: EventTarget, now: number, id?: string): Promise<number> {
    this.#check();
    return redriveEvents(this.#pool, target, now, id);
  }

  async recover(now: number): Promise<number> {
    this.#check();
    // Every lease of this node id is released: whatever this process still held is void too.
    this.#held.clear();
    return recoverEvents(this.#pool, this.#nodeId, now);
  }

  async pruneIdempotency(before: number): Promise<void> {
    this.#check();
    await pruneIdempotency(this.#pool, before);
  }

  async depth(target?: EventTarget): Promise<number> {
    this.#check();
    return depth(this.#pool, target);
  }

  /**
   * Another node's enqueue wakes only that node's dispatcher, so every node also looks on a timer:
   * the events of a node that died before claiming them are found within pollMs (and those it had
   * claimed once their leases expire: nextRunAt names that moment). A pass costs two indexed
   * queries, so polling is cheaper here than a LISTEN connection per node to keep alive.
   */
  onOutsideWork(listener: () => void): () => void {
    this.#watchers.add(listener);
    this.#poll ??= setInterval(() => this.#watchers.forEach((w) => w()), this.#pollMs);
    this.#poll.unref();
    return () => {
      this.#watchers.delete(listener);
      if (this.#watchers.size > 0) return;
      clearInterval(this.#poll);
      this.#poll = undefined;
    };
  }

  /**
   * Extend every lease this node holds to now + leaseMs (the timer calls it; tests on a fake clock
   * call it directly). Leases found lost (expired and taken over, or recovered) are forgotten.
   */
  heartbeat(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => (this.#beating = undefined));
    return this.#beating;
  }

  async #beat(): Promise<void> {
    if (this.#closed || this.#held.size === 0) return;
    const held = this.#snapshot();
    try {
      const alive = new Set(await extendLeases(this.#pool, held, this.#clock() + this.#leaseMs));
      let lost = 0;
      held.ids.forEach((id, i) => {
        if (alive.has(id) || this.#held.get(id) !== held.tokens[i]) return;
        this.#held.delete(id);
        lost++;
      });
      if (lost > 0) {
        this.#counts.lostLeases += lost;
        this.#log(`events: ${lost} lease(s) lost (expired and taken over by another node); those deliveries may run twice`);
      }
    } catch (err) {
      this.#log(`events: extending ${held.ids.length} lease(s) failed: ${(err as Error).message}`);
    }
  }

  /**
   * Act on events this node holds. Their leases leave the heartbeat before the write, so a write
   * that fails lets them expire (and be redelivered) instead of holding them forever.
   */
  async #ack(ids: string[], what: string, write: (held: Held) => Promise<number>): Promise<void> {
    this.#check();
    const held: Held = { ids: [], tokens: [] };
    for (const id of ids) {
      const token = this.#held.get(id);
      if (token === undefined) continue;
      this.#held.delete(id);
      held.ids.push(id);
      held.tokens.push(token);
    }
    const changed = held.ids.length === 0 ? 0 : await write(held);
    const stale = ids.length - changed;
    if (stale > 0) {
      this.#counts.staleAcks += stale;
      this.#log(`events: ${what} of ${stale} event(s) ignored: this node no longer holds their lease (expired and taken over, or recovered)`);
    }
  }

  #snapshot(): Held {
    return { ids: [...this.#held.keys()], tokens: [...this.#held.values()] };
  }

  #check(): void {
    if (this.#closed) throw new NimbusError('SHUTTING_DOWN', 'the event queue is closed');
  }

  /** Stop the heartbeat, commit what waits, hand back the leases still held. The pool stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    clearInterval(this.#poll);
    await this.#group.close();
    await this.#beating;
    this.#closed = true;
    const held = this.#snapshot();
    this.#held.clear();
    if (held.ids.length === 0) return;
    await extendLeases(this.#pool, held, 0).catch((err: Error) => this.#log(`events: handing back ${held.ids.length} lease(s) failed (they expire on their own): ${err.message}`));
  }
}

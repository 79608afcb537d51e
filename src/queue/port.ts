/**
 * The durable event queue port: async invocations and everything triggered by events (schedules,
 * topics, webhooks, bucket notifications, destinations) wait here until delivered. The embedded
 * default is SQLite (`sqlite.ts`); `memory.ts` serves unit tests; NATS JetStream or PostgreSQL can
 * implement it later. Every implementation runs the contract suite in `contract.ts`.
 *
 * An event's life:
 *   pending (runAt ≤ now: due) → running (claimed by the dispatcher; attempts += 1 at claim, so
 *   an event that crashes the server is not redelivered forever) → done (deleted)
 *                              → pending again with a later runAt (retry, backoff with jitter)
 *                              → dead (dead-letter queue: retries exhausted or older than
 *                                maxEventAge), listable and redrivable (→ pending, attempts 0)
 *   running events found at start-up (the server died mid-delivery) go back to pending.
 * Throttled deliveries are released without counting an attempt (see `release`).
 *
 * Hop counts (loop detection, as Lambda's): an event caused by an invocation (a topic publish or
 * bucket write through a binding, a destination) carries that invocation's hop + 1; an event
 * from outside (HTTP, schedule, webhook, control API, a redrive) starts at 0. The dispatcher never
 * delivers an event at `MAX_HOPS`: it is dead-lettered as RECURSIVE_INVOCATION (delivery.ts).
 */

/** The hop at which an event is dead-lettered instead of delivered: hops 0..15 run, 16 invocations in a chain. */
export const MAX_HOPS = 16;

/** How the sandbox hands the payload to the handler (see src/sandbox/protocol.ts). */
export type EventShape = 'invoke' | 'scheduled' | 'queue' | 'email';

export type EventSource = 'invoke' | 'schedule' | 'topic' | 'webhook' | 'bucket' | 'email' | 'destination';

export interface EventTarget {
  app: string;
  function: string;
}

export interface NewEvent {
  /** UUIDv7; also the invocation id of every delivery attempt (its record shows the latest). */
  id: string;
  target: EventTarget;
  source: EventSource;
  shape: EventShape;
  /**
   * For `queue` events the message (one element of a batch); for `scheduled` the schedule event;
   * for `invoke` the event as sent. JSON.
   */
  payload: unknown;
  /** Topic / bucket / webhook path / schedule the event came from ('' for invoke). */
  origin: string;
  /** Deduplicates enqueues for 24 h per target: a duplicate returns the first event's id. */
  idempotencyKey?: string;
  /** retries + 1. */
  maxAttempts: number;
  /** Epoch ms after which it is dead-lettered instead of delivered. */
  expiresAt: number;
  /** Epoch ms before which it is not delivered (default: now). */
  runAt?: number;
  /**
   * Invocations in the chain that caused it (0: from outside; see MAX_HOPS). Set by the host from
   * the invocation it knows is running, never from anything a function sends. Default 0.
   */
  hop?: number;
  /**
   * W3C trace context of the span that caused it (an invocation's binding call, a gateway request),
   * so its dispatch and attempts continue that trace. Like the hop, set by the host only.
   */
  traceparent?: string;
}

export interface QueuedEvent extends Omit<NewEvent, 'runAt' | 'idempotencyKey' | 'hop'> {
  hop: number;
  attempts: number;
  runAt: number;
  createdAt: number;
  lastError: string | null;
}

export interface EnqueueResult {
  id: string;
  /** True when an event with the same idempotency key was already accepted. */
  duplicate: boolean;
}

export interface DeadEvent extends QueuedEvent {
  deadAt: number;
  reason: string;
}

export interface DueTarget extends EventTarget {
  due: number;
  oldestRunAt: number;
}

/** `dueTargets` counts due events of a target up to this many. */
export const DUE_COUNT_CAP = 1000;

export interface EventQueue {
  /** Durable when the promise resolves (committed; group commit of concurrent calls is encouraged). */
  enqueue(events: NewEvent[]): Promise<EnqueueResult[]>;
  /**
   * Targets that have due events (pending, runAt ≤ now), with how many (counted up to
   * `DUE_COUNT_CAP`: a backlog of a million is not counted row by row on every pass) and the
   * runAt of the oldest (batch windows wait from it).
   */
  dueTargets(now: number): Promise<DueTarget[]>;
  /** The earliest runAt of any pending event, due or not (the dispatcher's next timer); null when none. */
  nextRunAt(): Promise<number | null>;
  /** Claim up to `limit` due events of one target, oldest runAt first: they become running, attempts + 1. */
  claim(target: EventTarget, limit: number, now: number): Promise<QueuedEvent[]>;
  /** Delivered: forget it. */
  complete(ids: string[]): Promise<void>;
  /** Failed this attempt: pending again at `runAt`. */
  retry(id: string, runAt: number, error: string): Promise<void>;
  /** Not delivered for lack of capacity: pending again at `runAt`, the attempt not counted. */
  release(ids: string[], runAt: number): Promise<void>;
  /** Retries exhausted or too old: to the dead-letter queue. */
  deadLetter(id: string, reason: string, now: number): Promise<void>;
  listDead(target: EventTarget, limit?: number): Promise<DeadEvent[]>;
  /**
   * Dead events (all of the target's, or one) back to pending at `now` with attempts 0, hop 0 (a
   * redrive is an operator's decision: a loop stopped before runs MAX_HOPS hops again at most) and a
   * fresh expiry: now + the event's original age budget (expiresAt − createdAt). Returns how many.
   */
  redrive(target: EventTarget, now: number, id?: string): Promise<number>;
  /** Start-up: running → pending. Returns how many. */
  recover(now: number): Promise<number>;
  /** Drop idempotency keys older than this. */
  pruneIdempotency(before: number): Promise<void>;
  /** Pending + running events (all, or of one target). */
  depth(target?: EventTarget): Promise<number>;
  /**
   * Shared queues only (several nodes on one database): call `listener` when work may have
   * appeared that this node did not enqueue (another node's events, a dead node's). The dispatcher
   * wakes on it; a queue only this node writes need not implement it. Returns an unsubscribe.
   */
  onOutsideWork?(listener: () => void): () => void;
  close(): Promise<void>;
}

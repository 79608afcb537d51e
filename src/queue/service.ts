/**
 * What the rest of Nimbus calls to put events in the queue and to manage it: the control API
 * (async invoke, dead-letter queue), triggers (schedules, topics, webhooks, buckets) and the
 * dispatcher's destinations. Every enqueue that commits wakes the dispatcher, so a fresh event
 * waits for no poll interval.
 */
import type { FunctionVersion } from '../domain/index.js';
import type { Clock } from '../shared/clock.js';
import { NimbusError } from '../shared/errors.js';
import { uuidv7 } from '../shared/ids.js';
import type { DeadEvent, EnqueueResult, EventQueue, EventShape, EventSource, EventTarget, NewEvent } from './port.js';

/** Where other subsystems hand events: durable when the promise resolves. */
export type EventSink = Pick<EventQueue, 'enqueue'>;

/** The active versions of functions (Deployments). */
export interface FunctionLookup {
  current(app: string, name: string): FunctionVersion | undefined;
}

/** An event for a deployed function; its delivery limits come from the function's config. */
export interface EventSpec {
  source: EventSource;
  shape: EventShape;
  payload: unknown;
  /** '' by default (async invoke). */
  origin?: string;
  idempotencyKey?: string;
  /** Epoch ms; default now. */
  runAt?: number;
  /** Invocations in the chain behind it (see MAX_HOPS); default 0: from outside. */
  hop?: number;
  /** W3C trace context of the caller (see NewEvent.traceparent). */
  traceparent?: string;
}

export interface EventServiceOptions {
  queue: EventQueue;
  functions: FunctionLookup;
  clock: Clock;
}

export class EventService implements EventSink {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly o: EventServiceOptions) {}

  get queue(): EventQueue {
    return this.o.queue;
  }

  /** Durably enqueue ready-made events (see `eventFor` in triggers), then wake the dispatcher. */
  async enqueue(events: NewEvent[]): Promise<EnqueueResult[]> {
    const results = await this.o.queue.enqueue(events);
    this.notify();
    return results;
  }

  /** Enqueue one event for the active version of `target`. Throws FUNCTION_NOT_FOUND if it is not deployed. */
  async submit(target: EventTarget, spec: EventSpec): Promise<EnqueueResult> {
    const fn = this.o.functions.current(target.app, target.function);
    if (!fn) throw new NimbusError('FUNCTION_NOT_FOUND', `no function ${target.app}/${target.function} is deployed; see \`nimbus ls\``);
    const now = this.o.clock.now();
    const event: NewEvent = {
      id: uuidv7(now),
      target: { app: fn.app, function: fn.name },
      source: spec.source,
      shape: spec.shape,
      payload: spec.payload,
      origin: spec.origin ?? '',
      maxAttempts: (fn.config.retries ?? 2) + 1,
      expiresAt: now + (fn.config.maxEventAge ?? 21_600) * 1000,
    };
    if (spec.idempotencyKey !== undefined) event.idempotencyKey = spec.idempotencyKey;
    if (spec.runAt !== undefined) event.runAt = spec.runAt;
    if (spec.hop) event.hop = spec.hop;
    if (spec.traceparent !== undefined) event.traceparent = spec.traceparent;
    const [result] = await this.enqueue([event]);
    return result!;
  }

  listDead(target: EventTarget, limit?: number): Promise<DeadEvent[]> {
    return this.o.queue.listDead(target, limit);
  }

  /** Dead events back to pending (all of the target's, or one); returns how many. */
  async redrive(target: EventTarget, id?: string): Promise<number> {
    const n = await this.o.queue.redrive(target, this.o.clock.now(), id);
    if (n > 0) this.notify();
    return n;
  }

  depth(target?: EventTarget): Promise<number> {
    return this.o.queue.depth(target);
  }

  /** Called after every enqueue or redrive that committed. Returns an unsubscribe function. */
  onEnqueue(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}

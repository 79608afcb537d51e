/**
 * The in-memory EventQueue for unit tests: the SQLite queue's behaviour (the contract suite holds
 * both to it), nothing durable. Payloads are stored as JSON text, so callers never share objects
 * with the queue, as with a real database. Linear scans: fine for tests, not for production.
 */
import { DUE_COUNT_CAP, type DeadEvent, type DueTarget, type EnqueueResult, type EventQueue, type EventTarget, type NewEvent, type QueuedEvent } from './port.js';
import { clampDeadLimit, IDEMPOTENCY_TTL_MS } from './rules.js';
import { NimbusError } from '../shared/errors.js';

interface Entry {
  seq: number;
  state: 'pending' | 'running' | 'dead';
  event: Omit<QueuedEvent, 'payload'>;
  payload: string;
  deadAt: number | null;
  reason: string | null;
}

const targetKey = (t: EventTarget): string => `${t.app}\u0000${t.function}`;
const sameTarget = (a: EventTarget, b: EventTarget): boolean => a.app === b.app && a.function === b.function;

export class MemoryEventQueue implements EventQueue {
  readonly #events = new Map<string, Entry>();
  readonly #keys = new Map<string, { eventId: string; createdAt: number }>();
  readonly #clock: () => number;
  #seq = 0;
  #closed = false;

  constructor(options: { clock?: () => number } = {}) {
    this.#clock = options.clock ?? Date.now;
  }

  async enqueue(events: NewEvent[]): Promise<EnqueueResult[]> {
    this.#open();
    const now = this.#clock();
    // Serialise everything first: a bad payload fails the call before anything is written.
    const encoded = events.map((e) => ({ e, payload: JSON.stringify(e.payload) ?? 'null' }));
    const out: EnqueueResult[] = [];
    for (const { e, payload } of encoded) {
      if (e.idempotencyKey !== undefined) {
        const k = `${targetKey(e.target)}\u0000${e.idempotencyKey}`;
        const held = this.#keys.get(k);
        if (held !== undefined && held.createdAt > now - IDEMPOTENCY_TTL_MS) {
          out.push({ id: held.eventId, duplicate: true });
          continue;
        }
        this.#keys.set(k, { eventId: e.id, createdAt: now });
      }
      if (this.#events.has(e.id)) {
        out.push({ id: e.id, duplicate: true });
        continue;
      }
      const { idempotencyKey: _key, runAt, hop, payload: _payload, target, ...rest } = e;
      this.#events.set(e.id, {
        seq: ++this.#seq,
        state: 'pending',
        event: { ...rest, target: { ...target }, hop: hop ?? 0, attempts: 0, runAt: runAt ?? now, createdAt: now, lastError: null },
        payload,
        deadAt: null,
        reason: null,
      });
      out.push({ id: e.id, duplicate: false });
    }
    return out;
  }

  async dueTargets(now: number): Promise<DueTarget[]> {
    const byTarget = new Map<string, DueTarget>();
    for (const x of this.#pending()) {
      if (x.event.runAt > now) continue;
      const k = targetKey(x.event.target);
      const t = byTarget.get(k) ?? { ...x.event.target, due: 0, oldestRunAt: x.event.runAt };
      t.due = Math.min(DUE_COUNT_CAP, t.due + 1);
      t.oldestRunAt = Math.min(t.oldestRunAt, x.event.runAt);
      byTarget.set(k, t);
    }
    return [...byTarget.values()].sort((a, b) => (targetKey(a) < targetKey(b) ? -1 : 1));
  }

  async nextRunAt(): Promise<number | null> {
    let min: number | null = null;
    for (const x of this.#pending()) if (min === null || x.event.runAt < min) min = x.event.runAt;
    return min;
  }

  async claim(target: EventTarget, limit: number, now: number): Promise<QueuedEvent[]> {
    this.#open();
    const due = [...this.#pending()]
      .filter((x) => sameTarget(x.event.target, target) && x.event.runAt <= now)
      .sort((a, b) => a.event.runAt - b.event.runAt || a.seq - b.seq)
      .slice(0, Math.max(0, Math.floor(limit)));
    for (const x of due) {
      x.state = 'running';
      x.event.attempts++;
    }
    return due.map((x) => this.#out(x));
  }

  async complete(ids: string[]): Promise<void> {
    this.#open();
    for (const id of ids) if (this.#events.get(id)?.state === 'running') this.#events.delete(id);
  }

  async retry(id: string, runAt: number, error: string): Promise<void> {
    this.#open();
    const x = this.#events.get(id);
    if (x?.state !== 'running') return;
    Object.assign(x, { state: 'pending' });
    Object.assign(x.event, { runAt: Math.round(runAt), lastError: error });
  }

  async release(ids: string[], runAt: number): Promise<void> {
    this.#open();
    for (const id of ids) {
      const x = this.#events.get(id);
      if (x?.state !== 'running') continue;
      x.state = 'pending';
      x.event.runAt = Math.round(runAt);
      x.event.attempts = Math.max(0, x.event.attempts - 1);
    }
  }

  async deadLetter(id: string, reason: string, now: number): Promise<void> {
    this.#open();
    const x = this.#events.get(id);
    if (x === undefined || x.state === 'dead') return;
    Object.assign(x, { state: 'dead', deadAt: now, reason });
  }

  async listDead(target: EventTarget, limit?: number): Promise<DeadEvent[]> {
    return [...this.#events.values()]
      .filter((x) => x.state === 'dead' && sameTarget(x.event.target, target))
      .sort((a, b) => (b.deadAt ?? 0) - (a.deadAt ?? 0) || b.seq - a.seq)
      .slice(0, clampDeadLimit(limit))
      .map((x) => ({ ...this.#out(x), deadAt: x.deadAt ?? 0, reason: x.reason ?? '' }));
  }

  async redrive(target: EventTarget, now: number, id?: string): Promise<number> {
    this.#open();
    let n = 0;
    for (const x of this.#events.values()) {
      if (x.state !== 'dead' || !sameTarget(x.event.target, target) || (id !== undefined && x.event.id !== id)) continue;
      Object.assign(x, { state: 'pending', deadAt: null, reason: null });
      Object.assign(x.event, { attempts: 0, hop: 0, runAt: now, expiresAt: now + (x.event.expiresAt - x.event.createdAt) });
      n++;
    }
    return n;
  }

  async recover(_now: number): Promise<number> {
    let n = 0;
    for (const x of this.#events.values()) {
      if (x.state !== 'running') continue;
      x.state = 'pending';
      n++;
    }
    return n;
  }

  async pruneIdempotency(before: number): Promise<void> {
    for (const [k, v] of this.#keys) if (v.createdAt < before) this.#keys.delete(k);
  }

  async depth(target?: EventTarget): Promise<number> {
    let n = 0;
    for (const x of this.#events.values()) {
      if (x.state !== 'dead' && (target === undefined || sameTarget(x.event.target, target))) n++;
    }
    return n;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  *#pending(): Iterable<Entry> {
    for (const x of this.#events.values()) if (x.state === 'pending') yield x;
  }

  #out(x: Entry): QueuedEvent {
    return { ...x.event, target: { ...x.event.target }, payload: JSON.parse(x.payload) as unknown };
  }

  #open(): void {
    if (this.#closed) throw new NimbusError('SHUTTING_DOWN', 'the event queue is closed');
  }
}

/** A fake runtime and builders for the dispatcher's unit tests. */
import type { FunctionConfig, FunctionVersion, InvocationRecord } from '../domain/index.js';
import { withConfigDefaults } from '../domain/index.js';
import type { InvocationInput } from '../runtime/index.js';
import type { InvocationOutcome, InvokeMeta } from '../runtime/runtime.js';
import { FakeClock } from '../shared/clock.js';
import { NimbusError, type ErrorCode } from '../shared/errors.js';
import { EventDispatcher, type EventDispatcherOptions } from './dispatcher.js';
import { MemoryEventQueue } from './memory.js';
import { EventService } from './service.js';

export function version(name: string, over: Partial<FunctionConfig> = {}): FunctionVersion {
  const config = withConfigDefaults({ handler: { file: 'src/x.ts', export: null }, ...over });
  return { app: 'shop', name, version: 1, hash: 'h', codeHash: 'c', codeSize: 1, config, createdAt: 0 };
}

export interface Call {
  fn: string;
  id: string;
  event: unknown;
  shape: string | undefined;
  trigger: string;
  /** The hop the dispatcher gave the invocation (meta.hop). */
  hop?: number;
}

type Answer = { ok: true; value?: unknown; retry?: string[] } | { ok: false; code: ErrorCode; message?: string };

/** Answers invocations with `answer(call)`; `capacity` bounds how many run at once. */
export class FakeRuntime {
  capacity = Infinity;
  running = 0;
  readonly calls: Call[] = [];
  readonly logs: string[] = [];
  answer: (call: Call) => Answer | Promise<Answer> = () => ({ ok: true, value: 'done' });

  hasCapacity(): boolean {
    return this.running < this.capacity;
  }

  log(_fn: unknown, _stream: string, line: string): void {
    this.logs.push(line);
  }

  async invoke(fn: FunctionVersion, input: InvocationInput, meta: InvokeMeta): Promise<InvocationOutcome> {
    if (input.kind !== 'event') throw new Error('events only');
    const call: Call = { fn: fn.name, id: meta.id, event: input.event, shape: input.shape, trigger: meta.trigger, ...(meta.hop ? { hop: meta.hop } : {}) };
    this.calls.push(call);
    this.running++;
    let a: Answer;
    try {
      a = await this.answer(call);
    } finally {
      this.running--;
    }
    const record = { id: meta.id } as InvocationRecord;
    if (!a.ok) return { ok: false, record, error: new NimbusError(a.code, a.message ?? 'failed') };
    return { ok: true, record, result: { ok: true, value: a.value, rss: 0, ...(a.retry ? { retry: a.retry } : {}) } };
  }
}

export function setup(fns: FunctionVersion[], over: Partial<EventDispatcherOptions> = {}) {
  const clock = new FakeClock(1_000_000);
  const queue = new MemoryEventQueue({ clock: () => clock.now() });
  const table = new Map(fns.map((f) => [f.name, f]));
  const functions = { current: (_app: string, name: string) => table.get(name) };
  const events = new EventService({ queue, functions, clock });
  const runtime = new FakeRuntime();
  const logs: string[] = [];
  const dispatcher = new EventDispatcher({
    queue,
    events,
    runtime,
    functions,
    clock,
    backoff: { baseMs: 1000, maxMs: 60_000, jitter: 'none' },
    log: (l) => logs.push(l),
    ...over,
  });
  /** Passes until nothing is due, in flight or waiting to be settled (at most 50). */
  const drain = async () => {
    for (let i = 0; i < 50; i++) {
      await dispatcher.pass();
      await dispatcher.idle();
      if ((await queue.dueTargets(clock.now())).length === 0) return;
    }
  };
  return { clock, queue, events, runtime, dispatcher, logs, table, drain };
}

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { DestinationRecord } from './destinations.js';
import { setup, version } from './dispatcher-fixtures.js';

const T = (fn: string) => ({ app: 'shop', function: fn });
const invokeSpec = (payload: unknown) => ({ source: 'invoke' as const, shape: 'invoke' as const, payload });

describe('EventDispatcher', () => {
  it('delivers an async event with its id as the invocation id, then forgets it', async () => {
    const s = setup([version('mail')]);
    const { id } = await s.events.submit(T('mail'), invokeSpec({ to: 'a@b' }));
    await s.drain();
    assert.deepEqual(s.runtime.calls, [{ fn: 'mail', id, event: { to: 'a@b' }, shape: 'invoke', trigger: 'event' }]);
    assert.equal(await s.queue.depth(), 0);
  });

  it('retries a failing event with exponential backoff, and says so in the log', async () => {
    const s = setup([version('mail', { retries: 2 })]);
    let n = 0;
    s.runtime.answer = () => (++n < 3 ? { ok: false, code: 'FUNCTION_ERROR', message: `boom ${n}` } : { ok: true });
    await s.events.submit(T('mail'), invokeSpec({}));
    await s.drain();
    assert.equal(s.runtime.calls.length, 1);
    s.clock.advance(999);
    await s.drain();
    assert.equal(s.runtime.calls.length, 1, 'the first retry waits baseMs');
    s.clock.advance(1);
    await s.drain();
    assert.equal(s.runtime.calls.length, 2);
    s.clock.advance(1999);
    await s.drain();
    assert.equal(s.runtime.calls.length, 2, 'the second waits twice as long');
    s.clock.advance(1);
    await s.drain();
    assert.equal(s.runtime.calls.length, 3);
    assert.equal(await s.queue.depth(), 0);
    assert.deepEqual(s.runtime.logs, ['RETRY attempt 2 of 3 (previous: FUNCTION_ERROR: boom 1)', 'RETRY attempt 3 of 3 (previous: FUNCTION_ERROR: boom 2)']);
    assert.equal(new Set(s.runtime.calls.map((c) => c.id)).size, 1, 'every attempt keeps the event id');
  });

  it('dead-letters after the last retry and sends the onFailure record to a function', async () => {
    const s = setup([version('mail', { retries: 1, destinations: { onSuccess: null, onFailure: { function: 'audit' } } }), version('audit')]);
    s.runtime.answer = (c) => (c.fn === 'mail' ? { ok: false, code: 'FUNCTION_ERROR', message: 'smtp down' } : { ok: true });
    const { id } = await s.events.submit(T('mail'), invokeSpec({ to: 'x' }));
    await s.drain();
    s.clock.advance(1000);
    await s.drain();
    const [dead] = await s.queue.listDead(T('mail'));
    assert.equal(dead?.id, id);
    assert.match(dead?.reason ?? '', /^RetriesExhausted after 2 attempt\(s\): FUNCTION_ERROR: smtp down/);
    const audit = s.runtime.calls.find((c) => c.fn === 'audit');
    const record = audit?.event as DestinationRecord;
    assert.deepEqual(record.requestContext, { requestId: id, functionArn: 'shop/mail', condition: 'RetriesExhausted', approximateInvokeCount: 2 });
    assert.deepEqual(record.requestPayload, { to: 'x' });
    assert.deepEqual(record.responsePayload, { errorCode: 'FUNCTION_ERROR', errorMessage: 'smtp down' });
    assert.equal(record.version, '1.0');
    assert.equal(record.timestamp, new Date(s.clock.now()).toISOString());
  });

  it('sends onSuccess records to a topic, or warns when topics are not available', async () => {
    const published: Array<[string, unknown[]]> = [];
    const fns = [version('mail', { destinations: { onSuccess: { topic: 'sent' }, onFailure: null } })];
    const s = setup(fns, { publish: { publish: async (topic, messages) => (published.push([topic, messages]), { messageIds: [], deliveries: 1 }) } });
    s.runtime.answer = () => ({ ok: true, value: { sent: true } });
    await s.events.submit(T('mail'), invokeSpec(1));
    await s.drain();
    assert.equal(published.length, 1);
    assert.equal(published[0]![0], 'sent');
    const record = published[0]![1][0] as DestinationRecord;
    assert.equal(record.requestContext.condition, 'Success');
    assert.deepEqual(record.responsePayload, { sent: true });

    const bare = setup(fns);
    await bare.events.submit(T('mail'), invokeSpec(1));
    await bare.drain();
    assert.equal(await bare.queue.depth(), 0, 'the event is settled anyway');
    assert.match(bare.logs.join('\n'), /topic "sent" skipped: topics are not available/);
  });

  it('stops a loop of destinations at hop 16: dead-lettered as RECURSIVE_INVOCATION, logged, no destination sent', async () => {
    const onSuccess = (to: string) => ({ destinations: { onSuccess: { function: to }, onFailure: { function: 'audit' } } });
    const s = setup([version('ping', onSuccess('pong')), version('pong', onSuccess('ping')), version('audit')]);
    const { id } = await s.events.submit(T('ping'), invokeSpec({ n: 0 }));
    await s.drain();
    assert.deepEqual(
      s.runtime.calls.map((c) => [c.fn, c.hop ?? 0]),
      Array.from({ length: 16 }, (_, hop) => [hop % 2 === 0 ? 'ping' : 'pong', hop]),
      'hops 0 to 15 run, each caused by the one before',
    );
    assert.equal(s.runtime.calls[0]?.id, id);
    const [dead, ...more] = await s.queue.listDead(T('ping'));
    assert.equal(more.length, 0);
    assert.equal(dead?.hop, 16);
    assert.equal(dead?.source, 'destination');
    assert.match(dead?.reason ?? '', /^RECURSIVE_INVOCATION: destination event \S+ from shop\/pong is hop 16 /);
    assert.match(s.runtime.logs.join('\n'), /^RECURSIVE_INVOCATION: .* not delivered: .*redrive/m);
    assert.deepEqual(await s.queue.listDead(T('pong')), []);
    assert.equal(await s.queue.depth(), 0, "no onFailure record: it would only be the loop's next hop");
    assert.equal(
      s.runtime.calls.some((c) => c.fn === 'audit'),
      false,
    );
  });

  it('delivers an event at hop 15 and gives what it causes hop 16', async () => {
    const s = setup([version('mail', { destinations: { onSuccess: { function: 'audit' }, onFailure: null } }), version('audit')]);
    await s.queue.enqueue([{ id: 'deep', target: T('mail'), source: 'topic', shape: 'queue', payload: 1, origin: 'orders', maxAttempts: 1, expiresAt: 2e6, hop: 15 }]);
    await s.drain();
    assert.deepEqual(
      s.runtime.calls.map((c) => [c.fn, c.hop]),
      [['mail', 15]],
    );
    assert.equal((await s.queue.listDead(T('audit')))[0]?.hop, 16);
  });

  it('dead-letters an event older than maxEventAge instead of delivering it', async () => {
    const s = setup([version('mail', { maxEventAge: 60, destinations: { onSuccess: null, onFailure: { function: 'audit' } } }), version('audit')]);
    s.runtime.capacity = 0;
    await s.events.submit(T('mail'), invokeSpec({}));
    s.clock.advance(60_000);
    s.runtime.capacity = Infinity;
    await s.drain();
    assert.deepEqual(
      s.runtime.calls.map((c) => c.fn),
      ['audit'],
    );
    const [dead] = await s.queue.listDead(T('mail'));
    assert.match(dead?.reason ?? '', /^EventAgeExceeded/);
    assert.equal((s.runtime.calls[0]?.event as DestinationRecord).requestContext.approximateInvokeCount, 0);
  });

  it('gives up when the next retry would come after maxEventAge', async () => {
    const s = setup([version('mail', { maxEventAge: 60, retries: 5 })], { backoff: { baseMs: 40_000, maxMs: 60_000, jitter: 'none' } });
    s.runtime.answer = () => ({ ok: false, code: 'FUNCTION_TIMEOUT' });
    await s.events.submit(T('mail'), invokeSpec({}));
    await s.drain();
    s.clock.advance(40_000);
    await s.drain();
    assert.equal(s.runtime.calls.length, 2);
    assert.match((await s.queue.listDead(T('mail')))[0]?.reason ?? '', /^EventAgeExceeded: the next retry/);
  });

  it('leaves throttled events queued and does not count a THROTTLED answer as an attempt', async () => {
    const s = setup([version('slow', { retries: 0 })]);
    s.runtime.capacity = 1;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    s.runtime.answer = async () => (await gate, { ok: true });
    for (let i = 0; i < 5; i++) await s.events.submit(T('slow'), invokeSpec(i));
    await s.dispatcher.pass();
    assert.equal(s.runtime.calls.length, 1);
    assert.equal((await s.queue.dueTargets(s.clock.now()))[0]?.due, 4, 'the rest were never claimed, or were released');
    release();
    await s.drain();
    await s.drain();
    assert.equal(s.runtime.calls.length, 5);
    assert.deepEqual(await s.queue.listDead(T('slow')), []);

    const t = setup([version('busy', { retries: 0 })]);
    let first = true;
    t.runtime.answer = () => (first ? ((first = false), { ok: false, code: 'THROTTLED' }) : { ok: true });
    await t.events.submit(T('busy'), invokeSpec(1));
    await t.drain();
    await t.drain();
    assert.equal(t.runtime.calls.length, 2, 'delivered again although retries is 0');
    assert.equal(await t.queue.depth(), 0);
  });

  it('keeps at most maxInFlightPerTarget deliveries of one function running', async () => {
    const s = setup([version('mail')], { maxInFlightPerTarget: 2 });
    let peak = 0;
    s.runtime.answer = async () => {
      peak = Math.max(peak, s.runtime.running);
      await new Promise((r) => setTimeout(r, 5));
      return { ok: true };
    };
    for (let i = 0; i < 6; i++) await s.events.submit(T('mail'), invokeSpec(i));
    await s.drain();
    await s.drain();
    await s.drain();
    assert.equal(s.runtime.calls.length, 6);
    assert.equal(peak, 2);
  });

  it('dead-letters the events of a function that is no longer deployed', async () => {
    const s = setup([version('gone')]);
    await s.events.submit(T('gone'), invokeSpec(1));
    s.table.delete('gone');
    await s.drain();
    assert.equal(s.runtime.calls.length, 0);
    assert.match((await s.queue.listDead(T('gone')))[0]?.reason ?? '', /^FunctionNotFound/);
  });

  it('delivers queue messages in batches of the topic trigger, retrying only the messages named', async () => {
    const topic = { type: 'topic' as const, topic: 'orders', batchSize: 2, maxBatchWindow: 0 };
    const s = setup([version('orders', { triggers: [topic], retries: 1 })]);
    const now = s.clock.now();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await s.events.submit(T('orders'), { source: 'topic', shape: 'queue', payload: { n: i }, origin: 'orders' })).id);
    s.runtime.answer = (c) => ({ ok: true, retry: c.id === ids[0] ? [ids[1]!] : [] });
    await s.drain();
    assert.deepEqual(
      s.runtime.calls.map((c) => (c.event as { messages: unknown[] }).messages.length),
      [2, 2, 1],
    );
    assert.deepEqual(s.runtime.calls[0], {
      fn: 'orders',
      id: ids[0],
      shape: 'queue',
      trigger: 'topic',
      event: {
        queue: 'orders',
        messages: [
          { id: ids[0], timestamp: now, body: { n: 0 }, attempts: 1 },
          { id: ids[1], timestamp: now, body: { n: 1 }, attempts: 1 },
        ],
      },
    });
    assert.equal(await s.queue.depth(), 1, 'only the retried message waits');
    s.clock.advance(1000);
    await s.drain();
    assert.deepEqual(
      (s.runtime.calls[3]?.event as { messages: Array<{ id: string; attempts: number }> }).messages.map((m) => [m.id, m.attempts]),
      [[ids[1], 2]],
    );
  });

  it('waits up to maxBatchWindow for a batch to fill', async () => {
    const topic = { type: 'topic' as const, topic: 'orders', batchSize: 10, maxBatchWindow: 5 };
    const s = setup([version('orders', { triggers: [topic] })]);
    for (let i = 0; i < 3; i++) await s.events.submit(T('orders'), { source: 'topic', shape: 'queue', payload: i, origin: 'orders' });
    assert.equal(await s.dispatcher.pass(), 5000);
    assert.equal(s.runtime.calls.length, 0);
    s.clock.advance(5000);
    await s.drain();
    assert.equal(s.runtime.calls.length, 1);
    assert.equal((s.runtime.calls[0]?.event as { messages: unknown[] }).messages.length, 3);
  });

  it('makes the invocation records durable before settling the events', async () => {
    const order: string[] = [];
    const s = setup([version('mail')], { flushRecords: async () => void order.push('records') });
    const complete = s.queue.complete.bind(s.queue);
    s.queue.complete = async (ids) => (order.push('complete'), complete(ids));
    await s.events.submit(T('mail'), invokeSpec(1));
    await s.drain();
    assert.deepEqual(order, ['records', 'complete']);
  });

  it('once started, wakes itself for fresh events and for retries coming due', async () => {
    const s = setup([version('mail')], { backoff: { baseMs: 10, maxMs: 10, jitter: 'none' } });
    s.runtime.answer = () => (s.runtime.calls.length < 2 ? { ok: false, code: 'FUNCTION_ERROR' } : { ok: true });
    const until = async (check: () => boolean) => {
      for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(check(), 'timed out');
    };
    s.dispatcher.start();
    try {
      await s.events.submit(T('mail'), invokeSpec(1));
      await until(() => s.runtime.calls.length === 1);
      s.clock.advance(10);
      await until(() => s.runtime.calls.length === 2);
      await until(() => s.dispatcher.inFlightCount === 0);
    } finally {
      await s.dispatcher.close();
    }
    assert.equal(await s.queue.depth(), 0);
  });

  it('asks for the next pass when the next retry is due', async () => {
    const s = setup([version('mail')]);
    assert.equal(await s.dispatcher.pass(), null, 'nothing queued: only a wake brings work');
    await s.events.submit(T('mail'), { ...invokeSpec(1), runAt: s.clock.now() + 1234 });
    assert.equal(await s.dispatcher.pass(), 1234);
  });
});

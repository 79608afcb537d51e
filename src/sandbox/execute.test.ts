/** execute() for each event shape, on in-process modules: what the handler gets, what the host is sent. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { execute, resolveHandler, type Loaded } from './execute.js';
import type { FunctionMeta, SandboxMessage } from './protocol.js';

const fn: FunctionMeta = { app: 'shop', name: 'worker', version: 1, memory: 128, handlerExport: null };
const T = Date.UTC(2026, 4, 1);
const queueEvent = {
  queue: 'orders',
  eventSource: 'topic',
  messages: [
    { id: 'm1', timestamp: T, body: { n: 1 }, attempts: 1 },
    { id: 'm2', timestamp: T, body: { n: 2 }, attempts: 1 },
    { id: 'm3', timestamp: T, body: { n: 3 }, attempts: 2 },
  ],
};
const scheduledEvent = { schedule: 'rate(5 minutes)', scheduledTime: T, timezone: null };

async function run(loaded: Loaded, shape: 'invoke' | 'scheduled' | 'queue', event: unknown): Promise<SandboxMessage[]> {
  const sent: SandboxMessage[] = [];
  await execute(
    loaded,
    { t: 'event', id: 'inv', timeoutMs: 5_000, event, shape },
    (m) => sent.push(m),
    () => 1,
  );
  // Timings vary run to run: check they are there, then compare the rest.
  return sent.map((m) => {
    if (m.t !== 'done' && m.t !== 'error') return m;
    const { ms, cpu, ...rest } = m;
    assert.ok(typeof ms === 'number' && ms >= 0 && typeof cpu === 'number' && cpu >= 0, 'done/error say how long the invocation ran and computed');
    return rest;
  });
}

const web = (dflt: Record<string, unknown>, env: Record<string, unknown> = {}) => resolveHandler({ default: dflt }, env, fn);
const lambda = (handler: (...a: unknown[]) => unknown) => resolveHandler({ handler }, { TOKEN: 't' }, fn);

describe('execute: web scheduled()', () => {
  it('calls scheduled(event, env, ctx) with { type, cron, scheduledTime } and answers done', async () => {
    let seen: unknown[] = [];
    const loaded = web({ scheduled: (...a: unknown[]) => void (seen = a) }, { GREETING: 'hi' });
    const sent = await run(loaded, 'scheduled', scheduledEvent);
    assert.deepEqual(seen[0], { type: 'scheduled', cron: 'rate(5 minutes)', scheduledTime: T });
    assert.deepEqual(seen[1], { GREETING: 'hi' });
    assert.equal((seen[2] as { invocationId: string }).invocationId, 'inv');
    assert.deepEqual(sent, [{ t: 'done', id: 'inv', value: null, rss: 1, pending: false }]);
  });

  it('a module without scheduled() fails with a message that says what is missing', async () => {
    const sent = await run(web({ fetch: () => new Response('x') }), 'scheduled', scheduledEvent);
    assert.equal(sent[0]?.t, 'error');
    assert.equal(sent[0]?.t === 'error' && sent[0].code, 'FUNCTION_ERROR');
    assert.equal(sent[0]?.t === 'error' && sent[0].error.message, 'this function is triggered by a schedule but its default export has no scheduled() method');
  });

  it('a module with only scheduled() is web style, and an HTTP request to it says fetch() is missing', async () => {
    const loaded = web({ scheduled: () => {} });
    assert.equal(loaded.style, 'web');
    const sent = await run(loaded, 'invoke', {});
    assert.match(sent[0]?.t === 'error' ? sent[0].error.message : '', /has no fetch\(\) method/);
  });
});

describe('execute: web queue()', () => {
  it('undecided messages count as acked: done with an empty retry list', async () => {
    let batch: { queue: string; messages: Array<{ id: string; timestamp: Date }> } | undefined;
    const sent = await run(web({ queue: (b: typeof batch) => void (batch = b) }), 'queue', queueEvent);
    assert.equal(batch?.queue, 'orders');
    assert.deepEqual(
      batch?.messages.map((m) => m.id),
      ['m1', 'm2', 'm3'],
    );
    assert.ok(batch?.messages[0]?.timestamp instanceof Date);
    assert.deepEqual(sent, [{ t: 'done', id: 'inv', value: null, rss: 1, pending: false, retry: [] }]);
  });

  it('messages retried (alone or by retryAll after acks) are sent back as retry', async () => {
    type B = { messages: Array<{ body: { n: number }; ack(): void; retry(): void }>; retryAll(): void };
    const sent = await run(
      web({
        queue: async (b: B) => {
          for (const m of b.messages)
            if (m.body.n === 2) m.retry();
            else m.ack();
        },
      }),
      'queue',
      queueEvent,
    );
    assert.deepEqual(sent[0]?.t === 'done' && sent[0].retry, ['m2']);

    const all = await run(
      web({
        queue: (b: B) => {
          b.messages[0]?.ack();
          b.retryAll();
        },
      }),
      'queue',
      queueEvent,
    );
    assert.deepEqual(all[0]?.t === 'done' && all[0].retry, ['m2', 'm3']);
  });

  it('a handler that throws fails the whole batch (error, no done)', async () => {
    const sent = await run(
      web({
        queue: async (b: { messages: Array<{ ack(): void }> }) => {
          b.messages[0]?.ack();
          throw new Error('boom');
        },
      }),
      'queue',
      queueEvent,
    );
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.t === 'error' && sent[0].error.message, 'boom');
  });

  it('a module without queue() fails with a message that says what is missing', async () => {
    const sent = await run(web({ fetch: () => new Response('x') }), 'queue', queueEvent);
    assert.match(sent[0]?.t === 'error' ? sent[0].error.message : '', /triggered by queued messages .* has no queue\(\) method/);
  });
});

describe('execute: Lambda shapes', () => {
  it('a schedule tick arrives as an EventBridge event; the result is the value', async () => {
    let event: Record<string, unknown> = {};
    const sent = await run(
      lambda((e) => ((event = e as Record<string, unknown>), { ran: true })),
      'scheduled',
      scheduledEvent,
    );
    assert.equal(event['detail-type'], 'Scheduled Event');
    assert.equal(event['id'], 'inv');
    assert.deepEqual(sent, [{ t: 'done', id: 'inv', value: { ran: true }, rss: 1 }]);
  });

  it('a queue batch arrives as { Records }; batchItemFailures becomes retry', async () => {
    let records: Array<{ messageId: string; body: string }> = [];
    const sent = await run(
      lambda((e) => {
        records = (e as { Records: typeof records }).Records;
        return { batchItemFailures: records.filter((r) => JSON.parse(r.body).n > 1).map((r) => ({ itemIdentifier: r.messageId })) };
      }),
      'queue',
      queueEvent,
    );
    assert.deepEqual(
      records.map((r) => r.messageId),
      ['m1', 'm2', 'm3'],
    );
    assert.deepEqual(sent[0]?.t === 'done' && sent[0].retry, ['m2', 'm3']);
  });

  it('context.env holds the env vars (and bindings); the signature is unchanged', async () => {
    let args: unknown[] = [];
    await run(
      lambda((...a) => void (args = a)),
      'invoke',
      { x: 1 },
    );
    assert.deepEqual(args[0], { x: 1 });
    assert.deepEqual((args[1] as { env: unknown }).env, { TOKEN: 't' });
    assert.equal(args.length, 2);
  });

  it('an invoke event is handed over as sent', async () => {
    const sent = await run(
      lambda((e) => e),
      'invoke',
      { as: 'sent' },
    );
    assert.deepEqual(sent, [{ t: 'done', id: 'inv', value: { as: 'sent' }, rss: 1 }]);
  });
});

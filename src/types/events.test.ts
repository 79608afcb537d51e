/** The published types describe what the sandbox really hands handlers: typed handlers run through execute(). */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildBindings } from '../sandbox/bindings.js';
import { execute, resolveHandler } from '../sandbox/execute.js';
import type { FunctionMeta, SandboxMessage } from '../sandbox/protocol.js';
import type { KvNamespace, LambdaContext, MessageBatch, QueueMessageBody, S3Event, ScheduledEvent, SQSBatchResponse, WebContext, WebHandler } from './events.js';

type MyEnv = { SESSIONS: KvNamespace; GREETING: string };
const fn: FunctionMeta = { app: 'a', name: 'f', version: 1, memory: 128, handlerExport: null };
const store = new Map<string, string>();
const bindings = buildBindings({ SESSIONS: { type: 'kv', kv: 's' } }, async (_b, op, args) => {
  if (op === 'put') return void store.set(String(args[0]), String(args[1]));
  return store.get(String(args[0])) ?? null;
});
const env = Object.freeze({ GREETING: 'hi', ...bindings });

async function run(mod: Record<string, unknown>, shape: 'scheduled' | 'queue', event: unknown): Promise<SandboxMessage[]> {
  const sent: SandboxMessage[] = [];
  await execute(
    resolveHandler(mod, env, { ...fn, handlerExport: mod['handler'] ? 'handler' : null }),
    { t: 'event', id: 'i', timeoutMs: 1000, event, shape },
    (m) => sent.push(m),
    () => 0,
  );
  return sent;
}

describe('nimbus/types', () => {
  it('a WebHandler with typed env, scheduled event and bucket batch', async () => {
    const worker: WebHandler<MyEnv, QueueMessageBody['bucket']> = {
      async scheduled(event: ScheduledEvent, e: MyEnv, ctx: WebContext) {
        await e.SESSIONS.put('tick', { at: event.scheduledTime, cron: event.cron, by: ctx.functionName });
      },
      async queue(batch: MessageBatch<QueueMessageBody['bucket']>, e: MyEnv) {
        for (const m of batch.messages) {
          await e.SESSIONS.put(m.body.key, m.body.type);
          if (m.attempts > 1) m.retry();
        }
      },
    };
    await run({ default: worker }, 'scheduled', { schedule: '* * * * *', scheduledTime: 5, timezone: null });
    assert.deepEqual(JSON.parse(store.get('tick') ?? ''), { at: 5, cron: '* * * * *', by: 'f' });
    const body = { type: 'created', bucket: 'b', key: 'k1', size: 1, etag: '"e"', contentType: 'text/plain' };
    const sent = await run({ default: worker }, 'queue', { queue: 'b', eventSource: 'bucket', messages: [{ id: 'm', timestamp: 1, body, attempts: 2 }] });
    assert.equal(store.get('k1'), 'created');
    assert.deepEqual(sent[0]?.t === 'done' && sent[0].retry, ['m']);
  });

  it('an S3Handler-shaped Lambda with context.env and SQSBatchResponse', async () => {
    const handler = async (event: S3Event, context: LambdaContext<MyEnv>): Promise<SQSBatchResponse> => {
      const r = event.Records[0]!;
      await context.env.SESSIONS.put('s3', `${r.eventName} ${r.s3.object.key} ${r.s3.object.eTag}`);
      return { batchItemFailures: [{ itemIdentifier: r.messageId }] };
    };
    const body = { type: 'deleted', bucket: 'b', key: 'k2', size: 1, etag: '"e"', contentType: 'text/plain' };
    const sent = await run({ handler }, 'queue', { queue: 'b', eventSource: 'bucket', messages: [{ id: 'x', timestamp: 1, body, attempts: 1 }] });
    assert.equal(store.get('s3'), 'ObjectRemoved:Delete k2 e');
    assert.deepEqual(sent[0]?.t === 'done' && sent[0].retry, ['x']);
  });
});

/**
 * Event shapes end to end. First through the runtime alone: real bundles in real sandbox processes invoked with
 * `runtime.invoke(fn, { kind: 'event', event, shape })` — what the event dispatcher does for
 * schedules, topics, webhooks and buckets. The payloads are the queue's (docs/events-plan.md);
 * what the handler saw comes back as its result, and the retry list surfaces on the result.
 * Then through a whole node: topic, bucket and webhook events enqueued by their triggers.
 */
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFunction } from '../src/bundler/index.js';
import { withConfigDefaults } from '../src/domain/config.js';
import type { Binding, FunctionVersion } from '../src/domain/index.js';
import { MemoryKvStore } from '../src/kv/index.js';
import { Runtime, SandboxProcess, SpawnBudget, WarmPool, type InvocationOutcome } from '../src/runtime/index.js';
import { prepareSandboxFiles, type SandboxFiles } from '../src/server/sandbox-files.js';
import { systemClock } from '../src/shared/clock.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const WEB = `
export default {
  async scheduled(event, env, ctx) {
    return { event, greeting: env.GREETING, id: ctx.invocationId };
  },
  async queue(batch, env) {
    const seen = [];
    for (const m of batch.messages) {
      seen.push({ id: m.id, body: m.body, attempts: m.attempts, isDate: m.timestamp instanceof Date, ts: m.timestamp.getTime() });
      if (m.body?.fail) m.retry();
      else { await env.SEEN.put(m.id, JSON.stringify(m.body)); m.ack(); }
      if (m.body?.throw) throw new Error('queue handler failed');
    }
    return { queue: batch.queue, seen };
  },
  async fetch(request) {
    return new Response('fetch got ' + (await request.text()));
  },
};
`;
const FETCH_ONLY = `export default { fetch: () => new Response('only fetch') };`;
const LAMBDA = `
export const handler = async (event, context) => {
  if (event.Records) {
    const failures = event.Records.filter((r) => r.eventSource !== 'nimbus:s3' && JSON.parse(r.body).fail).map((r) => ({ itemIdentifier: r.messageId }));
    return { records: event.Records, batchItemFailures: failures, kv: await context.env.SEEN.get('m1') };
  }
  return { event };
};
`;

const T = Date.UTC(2026, 2, 3, 4, 5, 6);
const msg = (id: string, body: unknown, attempts = 1) => ({ id, timestamp: T, body, attempts });

describe('event shapes through the runtime', () => {
  let root: string;
  let files: SandboxFiles;
  let runtime: Runtime;
  let pool: WarmPool;
  const processes = new Set<SandboxProcess>();
  const code = new Map<string, string>();
  const fns: Record<string, FunctionVersion> = {};
  const kv = new MemoryKvStore();
  let seq = 0;

  async function fn(name: string, source: string, handler: { file: string; export: string | null }, bindings: Record<string, Binding> = {}): Promise<void> {
    const file = join(root, 'app', handler.file);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, source);
    const config = withConfigDefaults({ handler, env: { GREETING: 'hello' }, bindings, timeout: 10 });
    const bundle = await bundleFunction(join(root, 'app'), name, config);
    code.set(bundle.codeHash, bundle.code);
    fns[name] = { app: 'shapes', name, version: 1, hash: bundle.codeHash, codeHash: bundle.codeHash, codeSize: bundle.size, config, createdAt: 0 };
  }

  const invoke = (name: string, shape: 'invoke' | 'scheduled' | 'queue', event: unknown): Promise<InvocationOutcome> =>
    runtime.invoke(fns[name]!, { kind: 'event', event, shape }, { id: `inv-${++seq}`, trigger: 'event', startedAt: Date.now() });
  const value = (o: InvocationOutcome) => {
    assert.ok(o.ok, o.ok ? '' : `${o.error.code}: ${o.error.message}`);
    return o.result.value as Record<string, unknown>;
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-shapes-'));
    files = prepareSandboxFiles();
    const spawn = (memoryMb: number) => {
      const proc = new SandboxProcess({ shimPath: files.shimPath, tmpRoot: files.root, memoryMb });
      processes.add(proc);
      void proc.exited.then(() => processes.delete(proc));
      return proc;
    };
    pool = new WarmPool({ spawn, size: 0, budget: new SpawnBudget(2), clock: systemClock });
    runtime = new Runtime({
      pool,
      maxInstances: 8,
      clock: systemClock,
      loadCode: async (hash) => code.get(hash),
      onRecord: () => {},
      onLog: () => {},
      bindings: { kv },
    });
    await fn('web', WEB, { file: 'src/web.ts', export: null }, { SEEN: { type: 'kv', kv: 'seen' } });
    await fn('fetchOnly', FETCH_ONLY, { file: 'src/fetch-only.ts', export: null });
    await fn('lambda', LAMBDA, { file: 'src/lambda.ts', export: 'handler' }, { SEEN: { type: 'kv', kv: 'seen' } });
  });
  after(async () => {
    await runtime?.close(1000);
    await pool?.close();
    for (const p of processes) p.killSync();
    await rm(root, { recursive: true, force: true });
    if (files) await rm(files.root, { recursive: true, force: true });
  });

  it('web scheduled(event, env, ctx) gets { type, cron, scheduledTime }', async () => {
    const v = value(await invoke('web', 'scheduled', { schedule: '0 2 * * *', scheduledTime: T, timezone: 'Europe/Paris' }));
    assert.deepEqual(v['event'], { type: 'scheduled', cron: '0 2 * * *', scheduledTime: T });
    assert.equal(v['greeting'], 'hello');
    assert.match(String(v['id']), /^inv-/);
  });

  it('a web module without scheduled() fails FUNCTION_ERROR with what to add', async () => {
    const o = await invoke('fetchOnly', 'scheduled', { schedule: 'rate(1 minute)', scheduledTime: T, timezone: null });
    assert.ok(!o.ok);
    assert.equal(o.error.code, 'FUNCTION_ERROR');
    assert.equal(o.error.message, 'this function is triggered by a schedule but its default export has no scheduled() method');
    const q = await invoke('fetchOnly', 'queue', { queue: 'orders', eventSource: 'topic', messages: [msg('x', 1)] });
    assert.ok(!q.ok && /has no queue\(\) method/.test(q.error.message));
  });

  it('web queue(batch): Date timestamps, bindings in env, retried messages on the result, the rest done', async () => {
    const o = await invoke('web', 'queue', { queue: 'orders', eventSource: 'topic', messages: [msg('m1', { n: 1 }), msg('m2', { fail: true }, 3), msg('m3', { n: 3 })] });
    const v = value(o);
    assert.equal(v['queue'], 'orders');
    assert.deepEqual(v['seen'], [
      { id: 'm1', body: { n: 1 }, attempts: 1, isDate: true, ts: T },
      { id: 'm2', body: { fail: true }, attempts: 3, isDate: true, ts: T },
      { id: 'm3', body: { n: 3 }, attempts: 1, isDate: true, ts: T },
    ]);
    assert.ok(o.ok);
    assert.deepEqual(o.result.retry, ['m2']);
    assert.equal(await kv.get('shapes/seen', 'm3'), '{"n":3}');
  });

  it('a web queue handler that throws fails the whole delivery', async () => {
    const o = await invoke('web', 'queue', { queue: 'orders', eventSource: 'topic', messages: [msg('t1', { throw: true }), msg('t2', {})] });
    assert.ok(!o.ok);
    assert.equal(o.error.code, 'FUNCTION_ERROR');
    // The message names where the handler threw (the bundle's source map).
    assert.match(o.error.message, /^queue handler failed \(at [\w./-]+:\d+:\d+\)$/);
  });

  it('Lambda gets an EventBridge Scheduled Event for a schedule tick', async () => {
    const v = value(await invoke('lambda', 'scheduled', { schedule: 'rate(5 minutes)', scheduledTime: T, timezone: null }));
    const event = v['event'] as Record<string, unknown>;
    assert.deepEqual(
      { ...event, id: 'x' },
      {
        version: '0',
        id: 'x',
        'detail-type': 'Scheduled Event',
        source: 'nimbus.scheduler',
        account: '000000000000',
        time: '2026-03-03T04:05:06Z',
        region: 'local',
        resources: ['shapes/lambda'],
        detail: {},
      },
    );
    assert.match(String(event['id']), /^inv-/);
  });

  it('Lambda gets SQS-like Records for topic and webhook messages; batchItemFailures becomes the retry list', async () => {
    const o = await invoke('lambda', 'queue', { queue: 'orders', eventSource: 'topic', messages: [msg('m1', { ok: 1 }), msg('m2', { fail: true }, 2)] });
    const v = value(o);
    const records = v['records'] as Array<Record<string, unknown>>;
    assert.deepEqual(
      records.map((r) => [r['messageId'], r['body'], r['eventSource'], r['eventSourceARN']]),
      [
        ['m1', '{"ok":1}', 'nimbus:topic', 'orders'],
        ['m2', '{"fail":true}', 'nimbus:topic', 'orders'],
      ],
    );
    assert.deepEqual(records[1]?.['attributes'], { ApproximateReceiveCount: '2', SentTimestamp: String(T), ApproximateFirstReceiveTimestamp: String(T) });
    assert.equal(v['kv'], '{"n":1}', 'context.env carries the bindings');
    assert.ok(o.ok);
    assert.deepEqual(o.result.retry, ['m2']);

    const hook = value(await invoke('lambda', 'queue', { queue: '/hooks/ci', eventSource: 'webhook', messages: [msg('w1', { path: '/hooks/ci', headers: {}, body: '{}' })] }));
    assert.equal((hook['records'] as Array<Record<string, unknown>>)[0]?.['eventSource'], 'nimbus:webhook');
  });

  it('Lambda gets S3-like Records for bucket notifications', async () => {
    const body = (type: string, key: string) => ({ type, bucket: 'uploads', key, size: 3, etag: '"d41d8"', contentType: 'image/png' });
    const o = await invoke('lambda', 'queue', { queue: 'uploads', eventSource: 'bucket', messages: [msg('b1', body('created', 'a.png')), msg('b2', body('deleted', 'b.png'))] });
    const records = value(o)['records'] as Array<{ eventName: string; eventSource: string; s3: { bucket: { name: string }; object: Record<string, unknown> } }>;
    assert.deepEqual(
      records.map((r) => [r.eventSource, r.eventName, r.s3.bucket.name, r.s3.object]),
      [
        ['nimbus:s3', 'ObjectCreated:Put', 'uploads', { key: 'a.png', size: 3, eTag: 'd41d8', contentType: 'image/png' }],
        ['nimbus:s3', 'ObjectRemoved:Delete', 'uploads', { key: 'b.png', size: 3, eTag: 'd41d8', contentType: 'image/png' }],
      ],
    );
    assert.ok(o.ok);
    assert.deepEqual(o.result.retry, []);
  });

  it("the 'invoke' shape is unchanged: Lambda gets the event as sent, web fetch a POST of it", async () => {
    assert.deepEqual(value(await invoke('lambda', 'invoke', { as: 'sent' })), { event: { as: 'sent' } });
    const o = await invoke('web', 'invoke', { hi: 1 });
    assert.ok(o.ok);
    assert.equal(o.result.res?.body, 'fetch got {"hi":1}');
    assert.equal(o.result.retry, undefined);
  });
});

// Each subscriber writes what it saw into KV, where an HTTP probe reads it back.
const LAMBDA_SUBSCRIBER = `
export const handler = async (event, context) => {
  const failures = [];
  for (const r of event.Records) {
    const count = r.attributes.ApproximateReceiveCount;
    // The first delivery this function sees fails its item (not "count 1": on a loaded machine an
    // earlier attempt may have failed before the handler ran, e.g. a cold start past the timeout).
    const before = (await context.env.SEEN.list({ prefix: 'lambda:' + r.messageId + ':' })).keys.length;
    await context.env.SEEN.put('lambda:' + r.messageId + ':' + count, JSON.stringify({ source: r.eventSource, arn: r.eventSourceARN, body: JSON.parse(r.body) }));
    if (JSON.parse(r.body).failOnce && before === 0) failures.push({ itemIdentifier: r.messageId });
  }
  return { batchItemFailures: failures };
};
`;
const WEB_SUBSCRIBER = `
export default {
  async queue(batch, env) {
    for (const m of batch.messages) await env.SEEN.put('web:' + batch.queue + ':' + m.body.key, m.body.type);
  },
  async fetch(request, env) {
    const prefix = new URL(request.url).searchParams.get('prefix');
    const { keys } = await env.SEEN.list({ prefix });
    return new Response(JSON.stringify(await Promise.all(keys.map(async (k) => [k.name, await env.SEEN.get(k.name)]))));
  },
};
`;

describe('event shapes through a node (enqueued by triggers)', () => {
  let n: TestNimbus;
  const seen = async (prefix: string) => (await (await n.fetch(`/probe?prefix=${encodeURIComponent(prefix)}`)).json()) as Array<[string, string]>;

  before(async () => {
    n = await startTestNimbus();
    const SEEN = { kv: 'shapes-seen' };
    await n.deploy({
      'nimbus.yaml': manifest('shapes', {
        lam: { handler: 'src/lam.handler', env: { CI_SECRET: 's3cret' }, bindings: { SEEN }, triggers: [{ topic: 'jobs' }, { webhook: '/hooks/ci', secret: 'CI_SECRET' }] },
        web: { handler: 'src/web.ts', bindings: { SEEN }, triggers: [{ bucket: 'inbox' }, { http: 'GET /probe' }] },
      }),
      'src/lam.ts': LAMBDA_SUBSCRIBER,
      'src/web.ts': WEB_SUBSCRIBER,
    });
  });
  after(() => n?.close());

  it('a topic message reaches a Lambda as an SQS record; batchItemFailures redelivers it with the count raised', async () => {
    await n.client.publish('jobs', { failOnce: true, job: 7 });
    const rows = await eventually(
      async () => {
        const r = await seen('lambda:');
        return r.length >= 2 && r;
      },
      15_000,
      'the redelivery',
    );
    const [first, second] = rows.map(([k, v]) => [Number(k.split(':').at(-1)), JSON.parse(v)]);
    assert.deepEqual(first?.[1], { source: 'nimbus:topic', arn: 'jobs', body: { failOnce: true, job: 7 } });
    // Redelivered after its batchItemFailures entry, with the receive count one higher (1 then 2,
    // unless an attempt failed before the handler ever ran).
    assert.equal(second?.[0], Number(first?.[0]) + 1);
  });

  it('a bucket notification reaches a web queue() with the bucket event body', async () => {
    await n.client.putObject('inbox', 'docs/a.txt', 'hello');
    await eventually(async () => (await seen('web:inbox:docs/a.txt')).length > 0, 15_000, 'the created event');
    assert.deepEqual(await seen('web:inbox:'), [['web:inbox:docs/a.txt', 'created']]);
  });

  it('a signed webhook reaches a Lambda as an SQS record from nimbus:webhook', async () => {
    const body = JSON.stringify({ ref: 'main' });
    const signature = 'sha256=' + createHmac('sha256', 's3cret').update(body).digest('hex');
    const res = await n.fetch('/hooks/ci', { method: 'POST', body, headers: { 'x-hub-signature-256': signature, 'content-type': 'application/json' } });
    assert.equal(res.status, 202);
    const rows = await eventually(
      async () => {
        const r = await seen('lambda:');
        return r.find(([, v]) => JSON.parse(v).source === 'nimbus:webhook');
      },
      15_000,
      'the webhook delivery',
    );
    const got = JSON.parse(rows[1]) as { arn: string; body: { path: string; body: string; headers: Record<string, string> } };
    assert.equal(got.arn, '/hooks/ci');
    assert.deepEqual([got.body.path, got.body.body, got.body.headers['content-type']], ['/hooks/ci', body, 'application/json']);
  });
});

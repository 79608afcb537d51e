/**
 * Async invocations end to end: 202 only once the event is durable, then delivery through the
 * queue with retries and backoff, dead letters and redrive, maxEventAge, destinations,
 * idempotency keys, and throttled events that wait in the queue instead of failing.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { DestinationRecord } from '../src/queue/index.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const APP = 'events';

const FILES = {
  // Logs a marker with the event so the test can see that (and what) it ran.
  'src/echo.mjs': `export const handler = async (event) => { console.log('ran ' + JSON.stringify(event)); return { got: event }; };`,
  // Fails the first two deliveries of each key (module state survives on the warm instance).
  'src/flaky.mjs': `
const seen = new Map();
export const handler = async (event) => {
  const n = (seen.get(event.key) ?? 0) + 1;
  seen.set(event.key, n);
  if (n < 3) throw new Error('flaky failure ' + n);
  console.log('flaky ok after ' + n);
  return { attempts: n };
};`,
  'src/broken.mjs': `export const handler = async () => { throw new Error('always broken'); };`,
  'src/audit.mjs': `export const handler = async (record) => { console.log('audit ' + JSON.stringify(record)); };`,
  'src/slow.mjs': `export const handler = async (event) => { await new Promise((r) => setTimeout(r, 300)); console.log('slow ' + event.i); };`,
};

const FUNCTIONS = {
  echo: { handler: 'src/echo.handler', destinations: { onSuccess: { function: 'audit' } } },
  flaky: { handler: 'src/flaky.handler', concurrency: 1, retries: 2 },
  broken: { handler: 'src/broken.handler', retries: 1, destinations: { onFailure: { function: 'audit' } } },
  audit: { handler: 'src/audit.handler' },
  slow: { handler: 'src/slow.handler', concurrency: 1, retries: 0 },
};

describe('async invocations', () => {
  let n: TestNimbus;
  before(async () => {
    // Short retries keep the suite fast; the delays still grow per attempt.
    n = await startTestNimbus({ events: { backoff: { baseMs: 100, maxMs: 400, jitter: 'equal' } } });
    await n.deploy({ 'nimbus.yaml': manifest(APP, FUNCTIONS), ...FILES });
  });
  after(() => n?.close());

  const record = (id: string) => n.client.getInvocation(id).catch(() => undefined);
  const logLines = async (fn: string, invocation?: string) => (await n.client.logs(APP, fn, invocation === undefined ? {} : { invocation })).lines.map((l) => l.line);

  it('answers 202 with the invocation id, then runs the function with the event', async () => {
    const res = await fetch(`${n.adminUrl}/v1/apps/${APP}/functions/echo/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${n.adminKey}`, 'x-nimbus-invocation-type': 'Event', 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'async' }),
    });
    assert.equal(res.status, 202);
    const body = (await res.json()) as { invocationId: string; duplicate: boolean };
    assert.equal(res.headers.get('x-nimbus-invocation-id'), body.invocationId);
    assert.equal(body.duplicate, false);
    const r = await eventually(async () => (await record(body.invocationId))?.status === 'ok' && record(body.invocationId), 10_000, 'the async invocation record');
    assert.equal(r?.trigger, 'event');
    assert.ok((await logLines('echo', body.invocationId)).includes('ran {"hello":"async"}'));
  });

  it('sends the onSuccess record to the destination function', async () => {
    const { invocationId } = await n.client.invokeAsync(APP, 'echo', { order: 7 });
    const line = await eventually(async () => (await logLines('audit')).find((l) => l.includes(invocationId)), 10_000, 'the audit record');
    const rec = JSON.parse(line.slice('audit '.length)) as DestinationRecord;
    assert.deepEqual(rec.requestContext, { requestId: invocationId, functionArn: `${APP}/echo`, condition: 'Success', approximateInvokeCount: 1 });
    assert.deepEqual(rec.requestPayload, { order: 7 });
    assert.deepEqual(rec.responsePayload, { got: { order: 7 } });
  });

  it('retries a failing event with backoff: three attempts, one invocation id, the latest attempt recorded', async () => {
    const { invocationId: id } = await n.client.invokeAsync(APP, 'flaky', { key: 'k1' });
    const r = await eventually(async () => (await record(id))?.status === 'ok' && record(id), 15_000, 'the third attempt');
    assert.equal(r?.errorCode, null);
    const lines = await logLines('flaky', id);
    // An error's message names where the handler threw: "flaky failure 1 (at src/flaky.mjs:6:20)".
    const expected = [
      /^RETRY attempt 2 of 3 \(previous: FUNCTION_ERROR: flaky failure 1 \(at [\w./-]+:\d+:\d+\)\)$/,
      /^RETRY attempt 3 of 3 \(previous: FUNCTION_ERROR: flaky failure 2 \(at [\w./-]+:\d+:\d+\)\)$/,
      /^flaky ok after 3$/,
    ];
    for (const l of expected)
      assert.ok(
        lines.some((line) => l.test(line)),
        `log lacks ${String(l)}:\n${lines.join('\n')}`,
      );
    assert.equal(lines.filter((l) => l.startsWith('REPORT ')).length, 3, 'one REPORT per attempt');
    assert.deepEqual(await n.client.listDead(APP, 'flaky'), []);
  });

  it('dead-letters an event whose retries are exhausted, notifies onFailure, and redrives it', async () => {
    const { invocationId: id } = await n.client.invokeAsync(APP, 'broken', { job: 1 });
    const [dead] = await eventually(
      async () => {
        const list = await n.client.listDead(APP, 'broken');
        return list.length > 0 && list;
      },
      10_000,
      'the dead letter',
    );
    assert.equal(dead?.id, id);
    assert.equal(dead?.attempts, 2);
    assert.deepEqual(dead?.payload, { job: 1 });
    assert.match(dead?.reason ?? '', /^RetriesExhausted after 2 attempt\(s\): FUNCTION_ERROR: .*always broken/);
    assert.equal((await record(id))?.status, 'error');
    const line = await eventually(async () => (await logLines('audit')).find((l) => l.includes(id)), 10_000, 'the onFailure record');
    const rec = JSON.parse(line.slice('audit '.length)) as DestinationRecord;
    assert.equal(rec.requestContext.condition, 'RetriesExhausted');
    assert.equal(rec.requestContext.approximateInvokeCount, 2);
    assert.equal((rec.responsePayload as { errorCode: string }).errorCode, 'FUNCTION_ERROR');

    // Fix the function, then redrive: the same event is delivered again and succeeds.
    await n.deploy({ 'nimbus.yaml': manifest(APP, FUNCTIONS), ...FILES, 'src/broken.mjs': `export const handler = async (e) => { console.log('fixed ' + e.job); };` });
    await assert.rejects(n.client.redrive(APP, 'broken', 'no-such-event'), { code: 'EVENT_NOT_FOUND' });
    assert.deepEqual(await n.client.redrive(APP, 'broken'), { redriven: 1 });
    await eventually(async () => (await record(id))?.status === 'ok', 10_000, 'the redriven delivery');
    assert.ok((await logLines('broken', id)).includes('fixed 1'));
    assert.deepEqual(await n.client.listDead(APP, 'broken'), []);
  });

  it('answers a repeated Idempotency-Key with the first invocation id and runs the event once', async () => {
    const first = await n.client.invokeAsync(APP, 'echo', { once: true }, { idempotencyKey: 'order-42' });
    const again = await n.client.invokeAsync(APP, 'echo', { once: 'again' }, { idempotencyKey: 'order-42' });
    assert.deepEqual(again, { invocationId: first.invocationId, duplicate: true });
    await eventually(async () => (await record(first.invocationId))?.status === 'ok', 10_000, 'the first event');
    await new Promise((r) => setTimeout(r, 300));
    const lines = (await logLines('echo')).filter((l) => l.startsWith('ran {"once"'));
    assert.deepEqual(lines, ['ran {"once":true}']);
  });

  it('keeps throttled events queued until the function has room: all delivered, none failed', async () => {
    const ids = await Promise.all([0, 1, 2, 3, 4].map(async (i) => (await n.client.invokeAsync(APP, 'slow', { i })).invocationId));
    const depth = (await n.client.queueDepth(APP, 'slow')).depth;
    // Each delivery takes 300 ms one at a time: at least two still wait right after the five 202s.
    assert.ok(depth >= 2, `with concurrency 1 most events wait in the queue (depth ${depth})`);
    let seen: unknown[] = [];
    const records = await eventually(
      async () => {
        const all = await Promise.all(ids.map(record));
        seen = all.map((r) => r?.status);
        return all.every((r) => r?.status === 'ok') && all;
      },
      20_000,
      'five deliveries',
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}: statuses ${JSON.stringify(seen)}, dead ${JSON.stringify(await n.client.listDead(APP, 'slow'))}`);
    });
    assert.deepEqual(
      records.map((r) => r?.status),
      ['ok', 'ok', 'ok', 'ok', 'ok'],
    );
    assert.deepEqual(await n.client.listDead(APP, 'slow'), []);
    // A record is made durable before its event is settled: the last one may still count for a moment.
    await eventually(async () => (await n.client.queueDepth(APP, 'slow')).depth === 0, 5000, 'an empty queue');
    const invocations = await n.client.listInvocations(APP, 'slow');
    assert.ok(
      invocations.every((r) => r.status !== 'throttled'),
      'no delivery was answered THROTTLED',
    );
  });

  it('refuses unknown functions and invocation types', async () => {
    await assert.rejects(n.client.invokeAsync(APP, 'nope', {}), { code: 'FUNCTION_NOT_FOUND' });
    const res = await fetch(`${n.adminUrl}/v1/apps/${APP}/functions/echo/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${n.adminKey}`, 'x-nimbus-invocation-type': 'DryRun' },
    });
    assert.equal(res.status, 400);
    await assert.rejects(n.client.invokeAsync(APP, 'echo', {}, { idempotencyKey: 'has space' }), { code: 'BAD_REQUEST' });
  });
});

describe('async invocations past maxEventAge', () => {
  let n: TestNimbus;
  before(async () => {
    // A retry delay longer than maxEventAge (60 s, the minimum): the first failure is the last.
    n = await startTestNimbus({ events: { backoff: { baseMs: 120_000, maxMs: 120_000, jitter: 'none' } } });
    await n.deploy({
      'nimbus.yaml': manifest('aging', {
        old: { handler: 'src/broken.handler', retries: 5, maxEventAge: 60, destinations: { onFailure: { function: 'audit' } } },
        audit: { handler: 'src/audit.handler' },
      }),
      'src/broken.mjs': FILES['src/broken.mjs'],
      'src/audit.mjs': FILES['src/audit.mjs'],
    });
  });
  after(() => n?.close());

  it('dead-letters as EventAgeExceeded when the next retry would come after maxEventAge', async () => {
    const { invocationId: id } = await n.client.invokeAsync('aging', 'old', { late: true });
    const [dead] = await eventually(
      async () => {
        const list = await n.client.listDead('aging', 'old');
        return list.length > 0 && list;
      },
      10_000,
      'the dead letter',
    );
    assert.equal(dead?.id, id);
    assert.equal(dead?.attempts, 1, 'no retry was attempted');
    assert.match(dead?.reason ?? '', /^EventAgeExceeded/);
    const line = await eventually(async () => (await n.client.logs('aging', 'audit')).lines.find((l) => l.line.includes(id))?.line, 10_000, 'the onFailure record');
    assert.equal((JSON.parse(line.slice('audit '.length)) as DestinationRecord).requestContext.condition, 'EventAgeExceeded');
  });
});

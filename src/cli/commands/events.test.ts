import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeApi, type FakeRequest, errorAnswer, startFakeApi } from '../../client/fake-api.js';
import { runCli } from '../run-cli.js';

const KEY = 'events-cli-key';
const dead = {
  id: 'ev-1',
  source: 'topic',
  shape: 'queue',
  origin: 'orders',
  payload: { order: 7 },
  attempts: 3,
  maxAttempts: 3,
  createdAt: 0,
  expiresAt: 21_600_000,
  lastError: 'FUNCTION_ERROR: boom',
  deadAt: Date.UTC(2026, 0, 1),
  reason: 'RetriesExhausted after 3 attempt(s): FUNCTION_ERROR: boom',
};

function answer(req: FakeRequest) {
  switch (`${req.method} ${req.path}`) {
    case 'POST /v1/apps/shop/functions/mail/invoke':
      if (req.headers['x-nimbus-invocation-type'] !== 'Event') return errorAnswer(400, 'BAD_REQUEST', 'expected an async invoke');
      return { status: 202, body: { invocationId: 'inv-async', duplicate: req.headers['idempotency-key'] === 'seen' } };
    case 'GET /v1/apps/shop/functions/mail/dlq':
      return { body: { events: [dead] } };
    case 'GET /v1/apps/shop/functions/quiet/dlq':
      return { body: { events: [] } };
    case 'POST /v1/apps/shop/functions/mail/dlq/redrive':
      return JSON.parse(req.body).id === 'nope' ? errorAnswer(404, 'EVENT_NOT_FOUND', 'no dead-lettered event nope') : { body: { redriven: JSON.parse(req.body).id ? 1 : 4 } };
    default:
      return errorAnswer(404, 'NOT_FOUND', 'no such endpoint');
  }
}

describe('nimbus invoke --async and nimbus dlq', () => {
  let api: FakeApi;
  let tmp: string;
  const run = (args: string[]) => runCli(args, { cwd: tmp, env: { NIMBUS_URL: api.url, NIMBUS_KEY: KEY } });
  before(async () => {
    api = await startFakeApi(KEY, answer);
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-events-cli-'));
  });
  after(async () => {
    await api.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('invoke --async queues the event and prints the invocation id', async () => {
    const r = await run(['invoke', 'shop/mail', '--async', '--data', '{"to":"a@b"}', '--idempotency-key', 'k-1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'inv-async\n');
    const req = api.requests.at(-1)!;
    assert.equal(req.body, '{"to":"a@b"}');
    assert.equal(req.headers['idempotency-key'], 'k-1');
    const dup = await run(['invoke', 'shop/mail', '--async', '--idempotency-key', 'seen', '--json']);
    assert.deepEqual(JSON.parse(dup.stdout), { invocationId: 'inv-async', duplicate: true });
  });

  it('refuses --idempotency-key without --async', async () => {
    const r = await run(['invoke', 'shop/mail', '--idempotency-key', 'k']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error \[BAD_REQUEST\]: --idempotency-key applies to async invokes/);
  });

  it('dlq ls prints a table, or says the queue is empty, or the JSON answer', async () => {
    const r = await run(['dlq', 'ls', 'shop/mail', '--limit', '5']);
    assert.equal(r.code, 0, r.stderr);
    const [head, row] = r.stdout.trimEnd().split('\n');
    assert.match(head ?? '', /^ID +DEAD SINCE +SOURCE +ATTEMPTS +REASON +PAYLOAD$/);
    assert.match(row ?? '', /^ev-1 +2026-01-01T00:00:00\.000Z +topic orders +3\/3 +RetriesExhausted after 3 attempt\(s\): FUNCTION_ERROR: boom +\{"order":7\}$/);
    assert.equal(api.requests.at(-1)?.query.get('limit'), '5');
    assert.equal((await run(['dlq', 'ls', 'shop/quiet'])).stdout, 'no dead-lettered events for shop/quiet\n');
    assert.deepEqual(JSON.parse((await run(['dlq', 'ls', 'shop/mail', '--json'])).stdout), { events: [dead] });
  });

  it('dlq redrive queues all or one, and reports an unknown id', async () => {
    assert.equal((await run(['dlq', 'redrive', 'shop/mail'])).stdout, 'queued 4 events of shop/mail again\n');
    assert.equal((await run(['dlq', 'redrive', 'shop/mail', '--id', 'ev-1'])).stdout, 'queued 1 event of shop/mail again\n');
    assert.deepEqual(JSON.parse(api.requests.at(-1)!.body), { id: 'ev-1' });
    const missing = await run(['dlq', 'redrive', 'shop/mail', '--id', 'nope', '--json']);
    assert.equal(missing.code, 1);
    assert.equal(JSON.parse(missing.stdout || missing.stderr).error.code, 'EVENT_NOT_FOUND');
  });

  it('has --help for dlq and its subcommands', async () => {
    const r = await run(['dlq', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /ls \[options\] <fn>/);
    assert.match(r.stdout, /redrive \[options\] <fn>/);
    assert.match((await run(['invoke', '--help'])).stdout, /--async/);
  });
});

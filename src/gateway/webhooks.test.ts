import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FunctionVersion, WebhookTrigger } from '../domain/index.js';
import { MemoryEventQueue } from '../queue/memory.js';
import { deliveryKey, handleWebhook, signatureValid, signedBytes, timestampProblem, WebhookTable } from './webhooks.js';

const sig = (body: Buffer | string, secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('webhook signatures', () => {
  const body = Buffer.from('{"zen":"Keep it logically awesome."}');

  it('accepts the HMAC-SHA256 of the raw bytes under the secret, hex in either case', () => {
    assert.equal(signatureValid(body, 's3cret', sig(body, 's3cret')), true);
    assert.equal(signatureValid(body, 's3cret', sig(body, 's3cret').toUpperCase().replace('SHA256=', 'sha256=')), true);
  });

  it('refuses a missing header or secret, another secret, other bytes and malformed values', () => {
    assert.equal(signatureValid(body, 's3cret', undefined), false);
    assert.equal(signatureValid(body, undefined, sig(body, 's3cret')), false);
    assert.equal(signatureValid(body, '', sig(body, '')), false, 'an empty secret signs nothing');
    assert.equal(signatureValid(body, 's3cret', sig(body, 'other')), false);
    assert.equal(signatureValid(Buffer.concat([body, Buffer.from(' ')]), 's3cret', sig(body, 's3cret')), false);
    assert.equal(signatureValid(body, 's3cret', sig(body, 's3cret').slice(7)), false, 'the sha256= prefix is required');
    assert.equal(signatureValid(body, 's3cret', 'sha256=abc'), false, 'a short digest is refused before comparing');
    assert.equal(signatureValid(body, 's3cret', `sha1=${'0'.repeat(64)}`), false);
  });

  it('maps each webhook path of the active versions to its function', () => {
    const fn = (name: string, path: string) =>
      ({
        app: 'a',
        name,
        config: {
          triggers: [
            { type: 'webhook', path, secret: 'S', header: 'x-hub-signature-256' },
            { type: 'http', method: 'POST', path: '/x' },
          ],
        },
      }) as unknown as FunctionVersion;
    const table = new WebhookTable([fn('one', '/hooks/one'), fn('two', '/hooks/two')]);
    assert.equal(table.size, 2);
    assert.equal(table.get('/hooks/two')?.fn.name, 'two');
    assert.equal(table.get('/x'), undefined);
  });
});

describe('webhook replays', () => {
  it('accepts a timestamp within the tolerance either way, and says why one is not', () => {
    const now = 1_700_000_000_000;
    assert.equal(timestampProblem('1700000000', 300, now), null);
    assert.equal(timestampProblem('1699999700', 300, now), null);
    assert.equal(timestampProblem('1700000300', 300, now), null);
    assert.match(timestampProblem('1699999699', 300, now) ?? '', /^is 301 s old, more than the 300 s allowed/);
    assert.match(timestampProblem('1700000301', 300, now) ?? '', /^is 301 s in the future/);
    assert.equal(timestampProblem(undefined, 300, now), 'is missing');
    for (const bad of ['', '1700000000.5', '-5', '1e9', 'Thu, 01 Jan 1970 00:00:00 GMT', '9'.repeat(13)]) assert.match(timestampProblem(bad, 300, now) ?? '', /not a time in Unix seconds/, bad);
  });

  it('signs "<timestamp>.<body>" when a timestamp is checked, and keys deliveries by id', () => {
    assert.equal(signedBytes(Buffer.from('{}')).toString(), '{}');
    assert.equal(signedBytes(Buffer.from('{}'), '1700000000').toString(), '1700000000.{}');
    assert.equal(deliveryKey('72d3162e-cc78-11e3-81ab-4c9367dc0958'), 'webhook-delivery/72d3162e-cc78-11e3-81ab-4c9367dc0958');
    assert.match(deliveryKey('x'.repeat(5000)), /^webhook-delivery\/[0-9a-f]{64}$/);
  });

  describe('handleWebhook', () => {
    const SECRET = 's3cret';
    let now = 1_700_000_000_000;
    const queue = new MemoryEventQueue({ clock: () => now });
    const hooks: Record<string, WebhookTrigger> = {
      '/plain': { type: 'webhook', path: '/plain', secret: 'S', header: 'x-hub-signature-256' },
      '/stamped': { type: 'webhook', path: '/stamped', secret: 'S', header: 'x-signature', deliveryHeader: 'x-delivery', timestampHeader: 'x-timestamp', tolerance: 60 },
    };
    const fn = { app: 'a', name: 'hook', version: 1, config: { env: { S: SECRET }, retries: 0, maxEventAge: 60 } } as unknown as FunctionVersion;
    let server: Server;
    let base = '';
    before(async () => {
      server = createServer((req, res) => void handleWebhook(req, res, req.url!, { fn, trigger: hooks[req.url!]! }, { queue, headers: () => ({}), now: () => now }));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));
    const post = async (path: string, body: string, headers: Record<string, string>) => {
      const res = await fetch(base + path, { method: 'POST', body, headers });
      return { status: res.status, json: (await res.json()) as { invocationId?: string; duplicate?: boolean; error?: { code: string; message: string } } };
    };
    const sig = (data: string) => `sha256=${createHmac('sha256', SECRET).update(data).digest('hex')}`;

    it('answers a repeated delivery id with the first acceptance and queues it once', async () => {
      const body = '{"action":"opened"}';
      const headers = { 'x-hub-signature-256': sig(body), 'x-github-delivery': 'd-1' };
      const first = await post('/plain', body, headers);
      assert.equal(first.status, 202);
      assert.equal(first.json.duplicate, false);
      const depth = await queue.depth();
      for (let i = 0; i < 2; i++) assert.deepEqual(await post('/plain', body, headers), { status: 202, json: { invocationId: first.json.invocationId, duplicate: true } });
      assert.equal(await queue.depth(), depth, 'the replays queued nothing');
      const other = await post('/plain', body, { ...headers, 'x-github-delivery': 'd-2' });
      assert.notEqual(other.json.invocationId, first.json.invocationId, 'another delivery id is another delivery');
    });

    it('refuses a stale, future, missing or rewritten timestamp with 401 WEBHOOK_TIMESTAMP_INVALID or a bad signature', async () => {
      const body = '{"n":1}';
      const at = (seconds: number, over: Record<string, string> = {}) => ({ 'x-timestamp': String(seconds), 'x-signature': sig(`${seconds}.${body}`), 'x-delivery': `t-${seconds}`, ...over });
      const t = now / 1000;
      assert.equal((await post('/stamped', body, at(t - 60))).status, 202);
      for (const headers of [at(t - 61), at(t + 61)]) {
        const r = await post('/stamped', body, headers);
        assert.equal(r.status, 401);
        assert.equal(r.json.error?.code, 'WEBHOOK_TIMESTAMP_INVALID');
        assert.match(r.json.error?.message ?? '', /x-timestamp header of the request to \/stamped is 61 s (old|in the future)/);
      }
      const { 'x-timestamp': _, ...missing } = at(t);
      assert.equal((await post('/stamped', body, missing)).json.error?.code, 'WEBHOOK_TIMESTAMP_INVALID');
      // An old signed request given a fresh time: the signature no longer matches.
      const rewritten = await post('/stamped', body, at(t - 3600, { 'x-timestamp': String(t) }));
      assert.deepEqual([rewritten.status, rewritten.json.error?.code], [401, 'WEBHOOK_SIGNATURE_INVALID']);
      // The body alone signed, as without timestampHeader: refused.
      assert.equal((await post('/stamped', body, at(t, { 'x-signature': sig(body) }))).json.error?.code, 'WEBHOOK_SIGNATURE_INVALID');
      now += 61_000;
      assert.equal((await post('/stamped', body, at(t - 60))).json.error?.code, 'WEBHOOK_TIMESTAMP_INVALID', 'the accepted request is refused once too old');
    });
  });
});

/**
 * Webhook replays end to end (issue 8, finding 15): the same signed delivery sent three times is
 * accepted once (the delivery id is its idempotency key; repeats get the first answer and run
 * nothing), and with `timestampHeader` a request signed too long ago is refused before anything is
 * queued. The pure checks are unit-tested in src/gateway/webhooks.test.ts.
 */
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const APP = 'hooks';
const SECRET = 'replay-me-not';
const sign = (data: string) => `sha256=${createHmac('sha256', SECRET).update(data).digest('hex')}`;
const LOGGER = `
export default {
  async queue(batch) {
    for (const m of batch.messages) console.log('got ' + m.body.body);
  },
};
`;

describe('webhook replays', () => {
  let n: TestNimbus;
  const got = async (fn: string) => (await n.client.logs(APP, fn, { limit: 1000 })).lines.filter((l) => l.line.startsWith('got ')).map((l) => l.line.slice(4));
  const post = async (path: string, body: string, headers: Record<string, string>) => {
    const res = await n.fetch(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    return { status: res.status, json: (await res.json()) as { invocationId?: string; duplicate?: boolean; error?: { code: string; message: string } } };
  };

  before(async () => {
    n = await startTestNimbus();
    await n.deploy({
      'nimbus.yaml': manifest(APP, {
        github: { handler: 'src/log.ts', env: { SECRET }, triggers: [{ webhook: '/hooks/github', secret: 'SECRET' }] },
        stamped: {
          handler: 'src/log.ts',
          env: { SECRET },
          triggers: [{ webhook: '/hooks/stamped', secret: 'SECRET', header: 'X-Signature', deliveryHeader: 'X-Delivery-Id', timestampHeader: 'X-Timestamp', tolerance: 120 }],
        },
      }),
      'src/log.ts': LOGGER,
    });
  });
  after(() => n?.close());

  it('accepts a replayed signed delivery once: the same answer, one event, one run', async () => {
    const body = '{"action":"opened","n":1}';
    const headers = { 'x-hub-signature-256': sign(body), 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-github-event': 'issues' };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await post('/hooks/github', body, headers));
    assert.deepEqual(
      answers.map((a) => a.status),
      [202, 202, 202],
    );
    const id = answers[0]!.json.invocationId;
    assert.deepEqual(
      answers.map((a) => [a.json.invocationId, a.json.duplicate]),
      [
        [id, false],
        [id, true],
        [id, true],
      ],
    );
    await eventually(async () => (await got('github')).length > 0, 15_000, 'the delivery to run');
    // A later, distinct delivery runs after the first; by then a second run of the first would have come too.
    const next = '{"action":"closed","n":2}';
    assert.equal((await post('/hooks/github', next, { 'x-hub-signature-256': sign(next), 'x-github-delivery': 'another-delivery' })).status, 202);
    await eventually(async () => (await got('github')).length >= 2, 15_000, 'the second delivery to run');
    assert.deepEqual((await got('github')).sort(), [body, next].sort());
  });

  it('refuses a request signed longer ago than the tolerance, and runs only the fresh one', async () => {
    const body = '{"n":"stamped"}';
    const at = (seconds: number, delivery: string) => ({ 'x-timestamp': String(seconds), 'x-signature': sign(`${seconds}.${body}`), 'x-delivery-id': delivery });
    const now = Math.floor(Date.now() / 1000);
    const old = await post('/hooks/stamped', body, at(now - 3600, 'old'));
    assert.equal(old.status, 401);
    assert.equal(old.json.error?.code, 'WEBHOOK_TIMESTAMP_INVALID');
    assert.match(old.json.error?.message ?? '', /X-Timestamp header .* is 36\d\d s old, more than the 120 s allowed/i);
    // The old request with a fresh time: the signature covers the time, so it no longer matches.
    const rewritten = await post('/hooks/stamped', body, { ...at(now - 3600, 'old-rewritten'), 'x-timestamp': String(now) });
    assert.deepEqual([rewritten.status, rewritten.json.error?.code], [401, 'WEBHOOK_SIGNATURE_INVALID']);
    const fresh = await post('/hooks/stamped', body, at(now, 'fresh'));
    assert.equal(fresh.status, 202);
    await eventually(async () => (await got('stamped')).length > 0, 15_000, 'the fresh delivery to run');
    assert.deepEqual(await got('stamped'), [body]);
    assert.equal((await n.client.queueDepth(APP, 'stamped')).depth, 0);
  });
});

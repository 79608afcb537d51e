/**
 * Triggers end to end on a real node: a topic fans out to every subscriber, a signed webhook is
 * queued and run while a missing or wrong signature is refused with nothing run, bucket writes and
 * deletes reach the functions subscribed to them (with prefix filtering), and a per-second cron
 * schedule runs. Slot arithmetic, restarts and catch-up are unit-tested with a fake clock in
 * src/triggers/scheduler.test.ts.
 */
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

/** Logs each message body of a queue batch as `<tag> <json>`. */
const queueLogger = (tag: string) => `
export default {
  async queue(batch) {
    for (const m of batch.messages) console.log(${JSON.stringify(tag)} + ' ' + JSON.stringify(m.body));
  },
};
`;

const SCHEDULED = `
export default {
  async scheduled(event) { console.log('tick ' + event.cron + ' ' + event.scheduledTime); },
};
`;

const SECRET = 'it-is-a-secret';
const sign = (body: string | Buffer, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('triggers', () => {
  let n: TestNimbus;
  /** Log lines of a function that start with `tag`, parsed. */
  const lines = async (fn: string, tag: string): Promise<unknown[]> => {
    const { lines } = await n.client.logs('events', fn, { limit: 1000 });
    return lines.filter((l) => l.line.startsWith(`${tag} `)).map((l) => JSON.parse(l.line.slice(tag.length + 1)) as unknown);
  };

  before(async () => {
    n = await startTestNimbus();
    await n.deploy({
      'nimbus.yaml': manifest('events', {
        first: { handler: 'src/first.ts', triggers: [{ topic: 'orders' }] },
        second: { handler: 'src/second.ts', triggers: [{ topic: 'orders' }] },
        hook: { handler: 'src/hook.ts', env: { GH_SECRET: SECRET }, triggers: [{ webhook: '/hooks/github', secret: 'GH_SECRET' }] },
        images: { handler: 'src/images.ts', triggers: [{ bucket: 'uploads', prefix: 'images/' }] },
        everything: { handler: 'src/everything.ts', triggers: [{ bucket: 'uploads', events: ['created'] }] },
        ticker: { handler: 'src/ticker.ts', triggers: [{ schedule: '* * * * * *' }] },
      }),
      'src/first.ts': queueLogger('first'),
      'src/second.ts': queueLogger('second'),
      'src/hook.ts': queueLogger('hook'),
      'src/images.ts': queueLogger('images'),
      'src/everything.ts': queueLogger('everything'),
      'src/ticker.ts': SCHEDULED,
    });
  });
  after(() => n.close());

  it('fans a topic message out to every subscribed function', async () => {
    const out = await n.client.publish('orders', { order: 42 });
    assert.equal(out.deliveries, 2);
    const batch = await n.client.publishBatch('orders', [{ order: 43 }, { order: 44 }]);
    assert.equal(batch.deliveries, 4);
    for (const fn of ['first', 'second']) {
      const got = await eventually(async () => ((await lines(fn, fn)).length >= 3 ? lines(fn, fn) : undefined), 15_000, `${fn} to get 3 messages`);
      assert.deepEqual(
        got.sort((a, b) => (a as { order: number }).order - (b as { order: number }).order),
        [{ order: 42 }, { order: 43 }, { order: 44 }],
      );
    }
    const topics = await n.client.listTopics();
    assert.deepEqual(
      topics.find((t) => t.topic === 'orders')?.subscribers.map((s) => s.function),
      ['first', 'second'],
    );
  });

  it('refuses unsigned and wrongly signed webhooks with 401 and runs none of them', async () => {
    const post = (body: string, headers: Record<string, string>) => n.fetch('/hooks/github', { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    const missing = await post('{"n":"missing"}', {});
    assert.equal(missing.status, 401);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'WEBHOOK_SIGNATURE_INVALID');
    const wrong = await post('{"n":"wrong"}', { 'x-hub-signature-256': sign('{"n":"wrong"}', 'other-secret') });
    assert.equal(wrong.status, 401);
    const tampered = await post('{"n":"tampered"}', { 'x-hub-signature-256': sign('{"n":"original"}') });
    assert.equal(tampered.status, 401);
    const garbage = await post('{"n":"garbage"}', { 'x-hub-signature-256': 'sha256=zz' });
    assert.equal(garbage.status, 401);

    const body = '{"n":"good","text":"héllo"}';
    const good = await post(body, { 'x-hub-signature-256': sign(body), 'x-github-event': 'push' });
    assert.equal(good.status, 202);
    const { invocationId } = (await good.json()) as { invocationId: string };
    assert.equal(good.headers.get('x-nimbus-invocation-id'), invocationId);
    const [msg] = (await eventually(async () => ((await lines('hook', 'hook')).length > 0 ? lines('hook', 'hook') : undefined), 15_000, 'the webhook to run')) as Array<{
      path: string;
      headers: Record<string, string>;
      body: string;
    }>;
    assert.equal(msg!.path, '/hooks/github');
    assert.equal(msg!.body, body);
    assert.equal(msg!.headers['x-github-event'], 'push');
    const record = await eventually(() => n.client.getInvocation(invocationId).catch(() => undefined), 10_000, 'the webhook invocation record');
    assert.equal(record.function, 'hook');
    // Bytes that are not UTF-8 arrive as base64, signed over the same raw bytes.
    const bytes = Buffer.from([0xff, 0x00, 0x80]);
    const bin = await n.fetch('/hooks/github', { method: 'POST', body: bytes, headers: { 'x-hub-signature-256': sign(bytes) } });
    assert.equal(bin.status, 202);
    const both = (await eventually(async () => ((await lines('hook', 'hook')).length >= 2 ? lines('hook', 'hook') : undefined), 15_000, 'the binary webhook to run')) as Array<{
      body: string | null;
      bodyBase64?: string;
    }>;
    assert.deepEqual(
      both.map((m) => [m.body, m.bodyBase64]).find(([b]) => b === null),
      [null, bytes.toString('base64')],
    );
    // Only the signed requests ever ran.
    assert.equal(both.length, 2);
    // A GET on the webhook path is not a webhook (and no HTTP route serves it).
    assert.equal((await n.fetch('/hooks/github')).status, 404);
  });

  it('notifies bucket subscribers of created and deleted objects, filtered by prefix and event type', async () => {
    await n.client.putObject('uploads', 'docs/readme.txt', 'read me', 'text/plain');
    const cat = await n.client.putObject('uploads', 'images/cat.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png');
    assert.deepEqual(await n.client.deleteObject('uploads', 'images/cat.png'), { deleted: true });
    type BucketBody = { type: string; bucket: string; key: string; size: number; etag: string; contentType: string };
    const images = (await eventually(async () => ((await lines('images', 'images')).length >= 2 ? lines('images', 'images') : undefined), 15_000, 'images to get 2 events')) as BucketBody[];
    assert.deepEqual(images.map((b) => [b.type, b.key]).sort(), [
      ['created', 'images/cat.png'],
      ['deleted', 'images/cat.png'],
    ]);
    const created = images.find((b) => b.type === 'created')!;
    assert.deepEqual(created, { type: 'created', bucket: 'uploads', key: 'images/cat.png', size: 4, etag: cat.etag, contentType: 'image/png' });
    const all = (await eventually(
      async () => ((await lines('everything', 'everything')).length >= 2 ? lines('everything', 'everything') : undefined),
      15_000,
      'everything to get 2 events',
    )) as BucketBody[];
    assert.deepEqual(all.map((b) => [b.type, b.key]).sort(), [
      ['created', 'docs/readme.txt'],
      ['created', 'images/cat.png'],
    ]);
    // docs/ is outside the images/ prefix; `everything` does not subscribe to deletes.
    assert.ok(!images.some((b) => b.key.startsWith('docs/')));
    assert.ok(!all.some((b) => b.type === 'deleted'));
  });

  it('runs a cron schedule once per slot', async () => {
    const ticks = (await eventually(async () => ((await lines('ticker', 'tick * * * * * *')).length >= 2 ? lines('ticker', 'tick * * * * * *') : undefined), 15_000, 'two ticks')) as number[];
    for (const t of ticks) assert.equal(t % 1000, 0, 'scheduledTime is the slot, a whole second');
    assert.equal(new Set(ticks).size, ticks.length, 'no slot ran twice');
  });
});

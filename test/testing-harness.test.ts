/**
 * `nimbus/testing` used as an app's own test file would use it (under node:test): a real node with
 * the app deployed, requests through the gateway, sync and async invokes, a topic publish whose
 * subscriber has run once `idle()` returns, a schedule fired now, records and logs, retries waited
 * for, and `close()` / `await using` leaving nothing behind. Also the schedule/run route's errors.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestPlatform, type TestPlatform } from '../src/testing/index.js';
import { NimbusError } from '../src/shared/errors.js';

const FILES: Record<string, string> = {
  'nimbus.yaml': `app: shop
functions:
  api:
    handler: src/api.ts
    env:
      GREETING: { secret: greeting }
    triggers:
      - http: GET /hello/{name}
  worker:
    handler: src/worker.handler
  shipper:
    handler: src/shipper.ts
    triggers:
      - topic: orders
  nightly:
    handler: src/nightly.ts
    triggers:
      - schedule: "0 3 * * *"
  twice:
    handler: src/nightly.ts
    triggers:
      - schedule: "0 4 * * *"
      - schedule: "0 5 * * *"
  flaky:
    handler: src/flaky.handler
    retries: 2
`,
  'src/api.ts': `export default {
  async fetch(request, env) {
    const name = new URL(request.url).pathname.split('/').pop();
    console.log('greeting ' + name);
    return new Response(env.GREETING + ', ' + name + '!');
  },
};
`,
  'src/worker.ts': `export async function handler(event) {
  console.log('job ' + event.job);
  return { done: event.job };
}
`,
  'src/shipper.ts': `export default {
  async queue(batch) {
    for (const m of batch.messages) console.log('shipped ' + m.body.id);
  },
};
`,
  'src/nightly.ts': `export default {
  async scheduled(event) { console.log('nightly ' + event.cron); },
};
`,
  'src/flaky.ts': `export async function handler() {
  throw new Error('always down');
}
`,
};

async function writeApp(root: string): Promise<string> {
  const dir = join(root, 'shop');
  for (const [path, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

describe('nimbus/testing', () => {
  let root: string;
  let platform: TestPlatform;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-harness-test-'));
    const app = await writeApp(root);
    platform = await createTestPlatform({
      app,
      secrets: { greeting: 'Hello' },
      // Fast retries, so idle() waiting for a dead letter takes milliseconds.
      node: { events: { backoff: { baseMs: 20, maxMs: 50, jitter: 'none' } } },
    });
  });
  after(async () => {
    await platform?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('is what the package exports as nimbus/testing', async () => {
    const name = 'nimbus/testing';
    const mod = (await import(name)) as { createTestPlatform: unknown };
    assert.equal(mod.createTestPlatform, createTestPlatform);
  });

  it('serves the app through the gateway, with the secrets it was given', async () => {
    const res = await platform.fetch('/hello/world');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Hello, world!');
    assert.match(platform.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(
      (await platform.client.listApps()).map((a) => a.app),
      ['shop'],
    );
  });

  it('invokes sync (the answer) and async (queued, run by idle())', async () => {
    const out = await platform.invoke('worker', { job: 1 });
    assert.equal(out.status, 200);
    assert.deepEqual(out.json(), { done: 1 });
    const queued = await platform.invoke('worker', { job: 2 }, { async: true });
    await platform.idle();
    const records = await platform.records({ function: 'worker' });
    assert.deepEqual(
      records.map((r) => r.status),
      ['ok', 'ok'],
    );
    assert.equal(records[0]!.id, queued.invocationId, 'the async one is the latest');
    const logs = await platform.logs('worker');
    assert.deepEqual(
      logs.filter((l) => l.line.startsWith('job ')).map((l) => l.line),
      ['job 1', 'job 2'],
    );
  });

  it('has the topic subscriber run by the time idle() returns after a publish', async () => {
    const published = await platform.publish('orders', { id: 7 });
    assert.equal(published.deliveries, 1);
    await platform.idle();
    const records = await platform.records({ function: 'shipper' });
    assert.equal(records.length, 1);
    assert.equal(records[0]!.status, 'ok');
    assert.equal(records[0]!.trigger, 'topic');
    assert.ok((await platform.logs('shipper')).some((l) => l.line === 'shipped 7'));
  });

  it('fires a schedule now with runSchedule()', async () => {
    const { eventId } = await platform.runSchedule('nightly');
    await platform.idle();
    const [record] = await platform.records({ function: 'nightly' });
    assert.equal(record?.id, eventId);
    assert.equal(record?.trigger, 'schedule');
    assert.deepEqual(
      (await platform.logs('nightly', { invocation: eventId })).filter((l) => l.stream === 'stdout').map((l) => l.line),
      ['nightly 0 3 * * *'],
    );
  });

  it('waits in idle() through retries until the event is dead-lettered', async () => {
    const queued = await platform.invoke('flaky', {}, { async: true });
    await platform.idle();
    const [record] = await platform.records({ function: 'flaky' });
    assert.equal(record?.id, queued.invocationId);
    assert.equal(record?.status, 'error');
    const dead = await platform.client.listDead('shop', 'flaky');
    assert.equal(dead.length, 1);
    assert.equal(dead[0]!.attempts, 3);
  });

  it('answers schedule/run with 202, and clear errors when there is no schedule to fire', async () => {
    const call = (fn: string, body: unknown) =>
      fetch(`${platform.adminUrl}/v1/apps/shop/functions/${fn}/schedule/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await call('twice', { schedule: '0 5 * * *' });
    assert.equal(ok.status, 202);
    assert.equal(((await ok.json()) as { schedule: string }).schedule, '0 5 * * *');
    const errorOf = async (res: Response) => [res.status, ((await res.json()) as { error: { code: string; message: string } }).error] as const;
    const [s1, e1] = await errorOf(await call('worker', {}));
    assert.equal(s1, 404);
    assert.equal(e1.code, 'SCHEDULE_NOT_FOUND');
    assert.match(e1.message, /shop\/worker has no schedule .*no schedule trigger/);
    const [s2, e2] = await errorOf(await call('ghost', {}));
    assert.deepEqual([s2, e2.code], [404, 'FUNCTION_NOT_FOUND']);
    const [s3, e3] = await errorOf(await call('twice', {}));
    assert.deepEqual([s3, e3.code], [400, 'BAD_REQUEST']);
    assert.match(e3.message, /"0 4 \* \* \*", "0 5 \* \* \*"/);
    const [s4, e4] = await errorOf(await call('twice', { schedule: '0 6 * * *' }));
    assert.deepEqual([s4, e4.code], [404, 'SCHEDULE_NOT_FOUND']);
    await assert.rejects(platform.runSchedule('worker'), (err: unknown) => err instanceof NimbusError && err.code === 'SCHEDULE_NOT_FOUND');
    await platform.idle();
  });

  it('leaves no node, port or data dir behind after `await using`', async () => {
    let url = '';
    let dataDir = '';
    {
      await using p = await createTestPlatform({ app: join(root, 'shop'), secrets: { greeting: 'Hi' } });
      url = p.url;
      dataDir = p.dataDir;
      assert.equal(await (await p.fetch('/hello/you')).text(), 'Hi, you!');
      assert.ok(existsSync(dataDir));
    }
    assert.equal(existsSync(dataDir), false);
    await assert.rejects(fetch(`${url}/hello/you`));
  });
});

/**
 * How many instances run: the function's and the node's concurrency limits (excess traffic is
 * THROTTLED at once, never queued), several requests per instance, scale to zero, minInstances,
 * and cold versus warm starts as the invocation records report them.
 */
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { InvocationRecord } from '../src/client/index.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

/** Sleeps `ms`, and reports how many invocations this instance was running at most at once. */
function sleeper(ms: number): string {
  return `
let inFlight = 0;
let most = 0;
export default {
  async fetch() {
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, ${ms}));
    inFlight--;
    return new Response(JSON.stringify({ most }), { headers: { 'content-type': 'application/json' } });
  },
};
`;
}

interface Answer {
  status: number;
  id: string;
  retryAfter: string | null;
  code: string | undefined;
  body: string;
}

async function call(n: TestNimbus, path: string): Promise<Answer> {
  const res = await n.fetch(path);
  const body = await res.text();
  let code: string | undefined;
  if (res.status >= 400) code = ((JSON.parse(body) as { error?: { code?: string } }).error ?? {}).code;
  return { status: res.status, id: res.headers.get('x-nimbus-invocation-id') ?? '', retryAfter: res.headers.get('retry-after'), code, body };
}

function record(n: TestNimbus, id: string): Promise<InvocationRecord> {
  return eventually(() => n.client.getInvocation(id).catch(() => undefined), 10_000, `the record of ${id}`);
}

/** Exactly `ok` answers are 200; the rest are 429 THROTTLED with Retry-After and a 'throttled' record. */
async function assertThrottled(n: TestNimbus, answers: Answer[], ok: number): Promise<void> {
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [...Array<number>(ok).fill(200), ...Array<number>(answers.length - ok).fill(429)]);
  for (const a of answers.filter((x) => x.status === 429)) {
    assert.equal(a.code, 'THROTTLED', a.body);
    assert.match(a.retryAfter ?? '', /^\d+$/, 'a throttled answer says when to retry');
    assert.match(a.id, /^[0-9a-f-]{36}$/, 'a throttled answer names its invocation');
    const r = await record(n, a.id);
    assert.equal(r.status, 'throttled');
    assert.equal(r.errorCode, 'THROTTLED');
    assert.equal(r.httpStatus, 429);
  }
  for (const a of answers.filter((x) => x.status === 200)) assert.equal((await record(n, a.id)).status, 'ok');
}

describe('scaling: the function concurrency limit', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus();
    await n.deploy({
      'nimbus.yaml': manifest('limited', {
        slow: { handler: 'src/slow.ts', concurrency: 2, instanceConcurrency: 1, idleTimeout: 1, triggers: [{ http: 'GET /slow' }] },
      }),
      'src/slow.ts': sleeper(1000),
    });
  });
  after(() => n.close());

  it('runs 2 of 5 simultaneous requests and throttles 3 with Retry-After', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, () => call(n, '/slow')));
    await assertThrottled(n, answers, 2);
    assert.ok((await n.client.getFunction('limited', 'slow')).instances.total <= 2);
  });
});

describe('scaling: the node-wide instance limit', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus({ maxInstances: 2 });
    await n.deploy({
      'nimbus.yaml': manifest('capped', {
        a: { handler: 'src/slow.ts', idleTimeout: 1, triggers: [{ http: 'GET /a' }] },
        b: { handler: 'src/slow.ts', idleTimeout: 1, triggers: [{ http: 'GET /b' }] },
        c: { handler: 'src/slow.ts', triggers: [{ http: 'GET /c' }] },
        d: { handler: 'src/slow.ts', triggers: [{ http: 'GET /d' }] },
      }),
      'src/slow.ts': sleeper(1000),
    });
  });
  after(() => n.close());

  it('runs 2 of 5 simultaneous requests across two functions and throttles 3', async () => {
    const answers = await Promise.all(['/a', '/b', '/a', '/b', '/a'].map((p) => call(n, p)));
    await assertThrottled(n, answers, 2);
    const [a, b] = await Promise.all([n.client.getFunction('capped', 'a'), n.client.getFunction('capped', 'b')]);
    assert.ok(a.instances.total + b.instances.total <= 2, 'never more than maxInstances instances');
  });

  it('lets an idle instance of another function give way at the limit', async () => {
    const total = async (fn: string) => (await n.client.getFunction('capped', fn)).instances.total;
    await eventually(async () => (await total('a')) + (await total('b')) === 0, 8000, 'a and b to scale to zero');
    // c keeps two idle instances for its idleTimeout (300 s); the node is idle, yet full.
    assert.deepEqual(
      (await Promise.all([call(n, '/c'), call(n, '/c')])).map((x) => x.status),
      [200, 200],
    );
    assert.equal((await n.client.getFunction('capped', 'c')).instances.idle, 2);
    const d = await call(n, '/d');
    assert.equal(d.status, 200, `an idle node answered ${d.body}`);
  });
});

describe('scaling: instances', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus();
    await n.deploy({
      'nimbus.yaml': manifest('fleet', {
        shared: { handler: 'src/slow.ts', instanceConcurrency: 4, triggers: [{ http: 'GET /shared' }] },
        brief: { handler: 'src/fast.ts', idleTimeout: 1, triggers: [{ http: 'GET /brief' }] },
        warm: { handler: 'src/fast.ts', minInstances: 2, idleTimeout: 1, triggers: [{ http: 'GET /warm' }] },
        cold: { handler: 'src/fast.ts', triggers: [{ http: 'GET /cold' }] },
      }),
      'src/slow.ts': sleeper(700),
      'src/fast.ts': 'export default { fetch: () => new Response("fast") };',
    });
  });
  after(() => n.close());

  it('serves 4 parallel requests on one instance with instanceConcurrency 4', async () => {
    const answers = await Promise.all(Array.from({ length: 4 }, () => call(n, '/shared')));
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200],
    );
    const most = Math.max(...answers.map((a) => (JSON.parse(a.body) as { most: number }).most));
    assert.equal(most, 4, 'the one instance ran all four at once');
    assert.equal((await n.client.getFunction('fleet', 'shared')).instances.total, 1);
  });

  it('scales to zero once idleTimeout (1 s) passes', async () => {
    assert.equal((await call(n, '/brief')).status, 200);
    assert.equal((await n.client.getFunction('fleet', 'brief')).instances.total, 1);
    await eventually(async () => (await n.client.getFunction('fleet', 'brief')).instances.total === 0, 8000, 'scale to zero');
    // The next request starts a new instance: a cold start.
    const again = await call(n, '/brief');
    assert.equal(again.status, 200);
    assert.equal((await record(n, again.id)).coldStart, true);
  });

  it('keeps minInstances (2) warm from the deploy on, past idleTimeout, and serves warm', async () => {
    await eventually(async () => (await n.client.getFunction('fleet', 'warm')).instances.idle === 2, 10_000, '2 warm instances');
    await sleep(2500);
    assert.equal((await n.client.getFunction('fleet', 'warm')).instances.total, 2);
    const first = await call(n, '/warm');
    assert.equal(first.status, 200);
    const r = await record(n, first.id);
    assert.equal(r.coldStart, false, 'a pre-warmed instance serves the first request');
    assert.equal(r.initMs, null);
    await sleep(2500);
    assert.equal((await n.client.getFunction('fleet', 'warm')).instances.total, 2);
  });

  it('reports the first request as a cold start with initMs and the next as warm', async () => {
    const first = await call(n, '/cold');
    const second = await call(n, '/cold');
    assert.deepEqual([first.status, second.status], [200, 200]);
    const r1 = await record(n, first.id);
    const r2 = await record(n, second.id);
    assert.equal(r1.coldStart, true);
    assert.equal(typeof r1.initMs, 'number');
    assert.ok((r1.initMs ?? -1) >= 0);
    assert.equal(r2.coldStart, false);
    assert.equal(r2.initMs, null);
  });
});

describe('scaling: minInstances of a function that cannot start', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus();
  });
  after(() => n.close());

  it('backs off instead of respawning in a loop', async () => {
    await n.deploy({
      'nimbus.yaml': manifest('broken', { boot: { handler: 'src/boot.ts', minInstances: 2 } }),
      'src/boot.ts': 'throw new Error("cannot boot");\nexport default { fetch: () => new Response("never") };\n',
    });
    await sleep(3000);
    const failures = n.logs.filter((l) => l.includes('broken/boot') && l.includes('start failed')).length;
    // Without a back-off this is hundreds; with it: a few quick failures, then 1 s, 2 s… apart.
    assert.ok(failures >= 3, `expected the failures to be reported, saw ${failures}`);
    assert.ok(failures <= 8, `expected a back-off, saw ${failures} failed starts in 3 s`);
    assert.equal((await n.client.getFunction('broken', 'boot')).instances.total <= 2, true);
  });
});

describe('scaling: default settings under concurrent load', () => {
  let n: TestNimbus;
  before(async () => {
    // The node's defaults too: the harness keeps a pool of 1 to save CPU, a user's node keeps 2.
    n = await startTestNimbus({ poolSize: undefined });
    await n.deploy({
      'nimbus.yaml': manifest('defaults', {
        fast: { handler: 'src/fast.ts', triggers: [{ http: 'GET /fast' }] },
        io: { handler: 'src/io.ts', triggers: [{ http: 'GET /io' }] },
      }),
      'src/fast.ts': 'export default { fetch: () => new Response("fast") };',
      'src/io.ts': sleeper(300),
    });
  });
  after(() => n.close());

  it('answers 40 concurrent clients of a fast function without a process per client', async () => {
    // With full isolation on a 2-core machine a burst can keep 4 busy instances past maxQueueWait
    // (a process start costs ~0.3 s of CPU there), so a client may be told to retry (429 +
    // Retry-After) once, as the AWS SDK would; after that retry every request is answered 200.
    const honouringRetry = async (): Promise<Answer> => {
      const a = await call(n, '/fast');
      if (a.status !== 429 || a.retryAfter === null) return a;
      await sleep(Number(a.retryAfter) * 1000);
      return call(n, '/fast');
    };
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(Array.from({ length: 40 }, () => honouringRetry()));
      assert.deepEqual([...new Set(answers.map((a) => a.status))], [200], JSON.stringify(answers.find((a) => a.status !== 200)));
    }
    const { total } = (await n.client.getFunction('defaults', 'fast')).instances;
    // Requests wait a moment for a busy instance instead of each starting a process.
    assert.ok(total < 20, `40 concurrent clients of a sub-millisecond function started ${total} instances`);
  });

  it('scales out a function whose instances wait (I/O), so 20 concurrent 300 ms calls all run at once', async () => {
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => call(n, '/io')));
    const elapsed = performance.now() - started;
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [200], JSON.stringify(answers.find((a) => a.status !== 200)));
    const { total } = (await n.client.getFunction('defaults', 'io')).instances;
    assert.ok(total >= 10, `only ${total} instances for 20 concurrent waiting calls (took ${Math.round(elapsed)} ms)`);
  });
});

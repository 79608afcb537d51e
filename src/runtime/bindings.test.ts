/** BindingHost: grants, access, limits and argument checks on calls from an untrusted sandbox. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Binding, FunctionVersion } from '../domain/index.js';
import { MemoryKvStore } from '../kv/memory.js';
import { BINDING_LIMITS, MAX_PART_CHARS } from '../sandbox/protocol.js';
import type { ObjectInfo, ObjectStore } from '../storage/port.js';
import { MAX_OBJECT_BYTES } from '../storage/port.js';
import { BindingHost, type BindingCall, type BindingReply, type BindingServices } from './bindings.js';

function version(bindings: Record<string, Binding>): FunctionVersion {
  return {
    app: 'shop',
    name: 'cart',
    version: 1,
    hash: 'h',
    codeHash: 'c',
    codeSize: 1,
    createdAt: 0,
    config: { bindings } as unknown as FunctionVersion['config'],
  };
}

/** Just enough of an ObjectStore to see what the host hands it. */
function objects(): ObjectStore & { bodies: Map<string, Buffer> } {
  const bodies = new Map<string, Buffer>();
  const info = (bucket: string, key: string, b: Buffer, contentType = 'application/octet-stream'): ObjectInfo => ({ bucket, key, size: b.length, etag: '"e"', contentType, uploadedAt: 1 });
  return {
    bodies,
    put: async (bucket, key, body, ct) => (bodies.set(`${bucket}/${key}`, body), info(bucket, key, body, ct)),
    get: async (bucket, key) => {
      const b = bodies.get(`${bucket}/${key}`);
      return b && { info: info(bucket, key, b), body: b };
    },
    head: async (bucket, key) => {
      const b = bodies.get(`${bucket}/${key}`);
      return b && info(bucket, key, b);
    },
    delete: async (bucket, key) => bodies.delete(`${bucket}/${key}`),
    list: async () => ({ objects: [], cursor: null }),
    close: async () => {},
  };
}

const fn = version({
  SESSIONS: { type: 'kv', kv: 'sessions' },
  UPLOADS: { type: 'bucket', bucket: 'uploads', access: 'read' },
  DROPBOX: { type: 'bucket', bucket: 'dropbox', access: 'write' },
  FILES: { type: 'bucket', bucket: 'files', access: 'readwrite' },
  EMAILS: { type: 'topic', topic: 'emails' },
});
let cid = 0;
const call = (binding: string, op: string, args: unknown[]): BindingCall => ({ t: 'call', cid: ++cid, inv: 'i', binding, op, args });

function host(services: BindingServices = {}) {
  const h = new BindingHost(services);
  return (binding: string, op: string, args: unknown[]) => h.call(fn, call(binding, op, args));
}
const code = (r: BindingReply) => (r.ok ? 'ok' : r.error.code);

describe('BindingHost', () => {
  it('runs granted KV calls on the namespace the binding names, stored under the owning app', async () => {
    const kv = new MemoryKvStore();
    const run = host({ kv });
    assert.equal(code(await run('SESSIONS', 'put', ['u1', 'v', null])), 'ok');
    assert.equal(await kv.get('shop/sessions', 'u1'), 'v');
    assert.deepEqual(await run('SESSIONS', 'get', ['u1']), { t: 'reply', cid, ok: true, value: 'v' });
    const listed = await run('SESSIONS', 'list', [{ prefix: 'u' }]);
    assert.deepEqual(listed.ok && listed.value, { keys: [{ name: 'u1', expiration: null }], cursor: null });
  });

  it('refuses a binding the function does not have, naming it and what to add to nimbus.yaml', async () => {
    const r = await host({ kv: new MemoryKvStore() })('OTHER_APP_KV', 'get', ['k']);
    assert.equal(code(r), 'BINDING_NOT_GRANTED');
    assert.match(r.ok ? '' : r.error.message, /shop\/cart has no binding named "OTHER_APP_KV": add it under functions\.cart\.bindings in nimbus\.yaml/);
  });

  it('refuses writes through a read-only bucket binding and reads through a write-only one', async () => {
    const store = objects();
    const run = host({ objects: store });
    const put = await run('UPLOADS', 'put', ['a', { data: 'x', b64: false }, null]);
    assert.equal(code(put), 'BINDING_NOT_GRANTED');
    assert.match(put.ok ? '' : put.error.message, /env\.UPLOADS is bound to bucket "uploads" with access: read, which does not allow put\(\): set access: readwrite \(or write\)/);
    assert.equal(code(await run('UPLOADS', 'delete', ['a'])), 'BINDING_NOT_GRANTED');
    assert.equal(code(await run('UPLOADS', 'get', ['a'])), 'ok');
    assert.equal(code(await run('DROPBOX', 'get', ['a'])), 'BINDING_NOT_GRANTED');
    assert.equal(code(await run('DROPBOX', 'put', ['a', { data: 'x', b64: false }, null])), 'ok');
    assert.equal(store.bodies.size, 1);
  });

  it('enforces key and value limits with VALUE_TOO_LARGE', async () => {
    const run = host({ kv: new MemoryKvStore() });
    assert.equal(code(await run('SESSIONS', 'put', ['k'.repeat(513), 'v', null])), 'VALUE_TOO_LARGE');
    assert.equal(code(await run('SESSIONS', 'put', ['é'.repeat(257), 'v', null])), 'VALUE_TOO_LARGE');
    assert.equal(code(await run('SESSIONS', 'put', ['k', 'v'.repeat(1024 * 1024 + 1), null])), 'VALUE_TOO_LARGE');
    assert.equal(code(await run('SESSIONS', 'put', ['k', 'v'.repeat(1024 * 1024), null])), 'ok');
  });

  it('answers malformed calls with BINDING_ERROR instead of trusting them', async () => {
    const run = host({ kv: new MemoryKvStore(), objects: objects() });
    for (const [binding, op, args] of [
      ['SESSIONS', 'get', []],
      ['SESSIONS', 'get', [42]],
      ['SESSIONS', 'put', ['k', { not: 'a string' }, null]],
      ['SESSIONS', 'put', ['k', 'v', 0]],
      ['SESSIONS', 'list', [{ limit: 5000 }]],
      ['SESSIONS', 'list', [{ evil: true }]],
      ['SESSIONS', 'publish', [['m']]],
      ['SESSIONS', 'constructor', []],
      ['SESSIONS', '__proto__', []],
      ['FILES', 'put', ['k', null, null]],
    ] as const) {
      const r = await run(binding, op, [...args]);
      assert.equal(code(r), 'BINDING_ERROR', `${binding}.${op}(${JSON.stringify(args)})`);
    }
  });

  it('says a service is not available when this server has none', async () => {
    const r = await host({})('EMAILS', 'publish', [['hello']]);
    assert.equal(code(r), 'BINDING_ERROR');
    assert.match(r.ok ? '' : r.error.message, /Topics is not available/);
  });

  it('publishes to the topic the binding names, within the message limits', async () => {
    const published: Array<[string, unknown[]]> = [];
    const run = host({ topics: { publish: async (t, m) => (published.push([t, m]), { messageIds: m.map((_, i) => `m${i}`), deliveries: 1 }) } });
    const r = await run('EMAILS', 'publish', [[{ to: 'a' }, { to: 'b' }]]);
    assert.deepEqual(r.ok && r.value, { messageIds: ['m0', 'm1'], deliveries: 1 });
    assert.deepEqual(published, [['emails', [{ to: 'a' }, { to: 'b' }]]]);
    assert.equal(code(await run('EMAILS', 'publish', [['x'.repeat(BINDING_LIMITS.topicMessageBytes)]])), 'VALUE_TOO_LARGE');
  });

  it('a session gives what a call causes the hop of the invocation the host sees running + 1, whatever the sandbox claims', async () => {
    const causes: Array<[string, number | undefined]> = [];
    const store = objects();
    const plain = objects();
    store.put = (bucket, key, body, ct, cause) => (causes.push([`put ${bucket}`, cause?.hop]), plain.put(bucket, key, body, ct));
    store.delete = async (bucket, _key, cause) => (causes.push([`delete ${bucket}`, cause?.hop]), true);
    const topics = { publish: async (t: string, m: unknown[], cause?: { hop?: number }) => (causes.push([`publish ${t}`, cause?.hop]), { messageIds: [], deliveries: 0 }) };
    const replies: BindingReply[] = [];
    let running = 9;
    const session = new BindingHost({ objects: store, topics }).session(
      fn,
      (r) => replies.push(r),
      undefined,
      () => running,
    );
    // `inv` and the arguments are the sandbox's to write: neither moves the hop.
    session({ t: 'call', cid: ++cid, inv: 'a-shallow-http-request', binding: 'EMAILS', op: 'publish', args: [[{ hop: 0 }]] });
    session({ t: 'call', cid: ++cid, inv: null, binding: 'FILES', op: 'put', args: ['k', { data: 'x', b64: false }, null] });
    running = 15;
    session({ t: 'call', cid: ++cid, inv: null, binding: 'FILES', op: 'delete', args: ['k'] });
    while (replies.length < 3) await new Promise((r) => setTimeout(r, 1));
    assert.deepEqual(replies.map(code), ['ok', 'ok', 'ok']);
    assert.deepEqual(causes.sort(), [
      ['delete files', 16],
      ['publish emails', 10],
      ['put files', 10],
    ]);
  });

  it('passes a service NimbusError through with its own code', async () => {
    const { NimbusError } = await import('../shared/errors.js');
    const r = await host({
      topics: {
        publish: async () => {
          throw new NimbusError('TOPIC_NOT_FOUND', 'no topic "emails"');
        },
      },
    })('EMAILS', 'publish', [[1]]);
    assert.deepEqual(r.ok ? null : r.error, { code: 'TOPIC_NOT_FOUND', message: 'no topic "emails"' });
  });

  it('a session joins parts into the body of the call that follows them', async () => {
    const store = objects();
    const replies: BindingReply[] = [];
    const session = new BindingHost({ objects: store }).session(fn, (r) => replies.push(r));
    const body = Buffer.alloc(MAX_PART_CHARS, 7);
    const b64 = body.toString('base64');
    const id = ++cid;
    for (let i = 0; i < b64.length; i += MAX_PART_CHARS) session({ t: 'part', cid: id, data: b64.slice(i, i + MAX_PART_CHARS) });
    session({ t: 'call', cid: id, inv: null, binding: 'FILES', op: 'put', args: ['big', null, 'application/x-test'] });
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(code(replies[0]!), 'ok');
    assert.ok(store.bodies.get('files/big')?.equals(body));
  });

  it('a session refuses parts beyond one largest object', async () => {
    const replies: BindingReply[] = [];
    const session = new BindingHost({ objects: objects() }).session(fn, (r) => replies.push(r));
    const id = ++cid;
    const chunk = 'A'.repeat(MAX_PART_CHARS);
    for (let sent = 0; sent <= (MAX_OBJECT_BYTES / 3) * 4; sent += chunk.length) session({ t: 'part', cid: id, data: chunk });
    session({ t: 'call', cid: id, inv: null, binding: 'FILES', op: 'put', args: ['big', null, null] });
    assert.equal(code(replies[0]!), 'VALUE_TOO_LARGE');
  });

  it('parts of calls that never come are bounded per instance and node-wide, and released when the instance is gone', async () => {
    const host = new BindingHost({ objects: objects() }, 3 * MAX_PART_CHARS);
    const a: BindingReply[] = [];
    const b: BindingReply[] = [];
    const sa = host.session(fn, (r) => a.push(r));
    const sb = host.session(fn, (r) => b.push(r));
    const chunk = 'A'.repeat(MAX_PART_CHARS);
    // Instance A opens call after call and never makes one: only the newest call's parts are held.
    for (let i = 0; i < 10; i++) sa({ t: 'part', cid: 1000 + i, data: chunk });
    assert.equal(host.bufferedChars, MAX_PART_CHARS);
    sa({ t: 'part', cid: 1009, data: chunk });
    // Instance B is refused at the node's budget: its call fails with a binding error, nothing stays buffered for it.
    sb({ t: 'part', cid: 1, data: chunk });
    assert.equal(host.bufferedChars, 3 * MAX_PART_CHARS);
    sb({ t: 'part', cid: 1, data: chunk });
    assert.equal(host.bufferedChars, 2 * MAX_PART_CHARS);
    sb({ t: 'call', cid: 1, inv: null, binding: 'FILES', op: 'put', args: ['big', null, null] });
    assert.equal(code(b[0]!), 'BINDING_ERROR');
    assert.match((b[0] as { error: { message: string } }).error.message, /limit of \d+ MB of object uploads in flight/);
    assert.equal(host.bufferedChars, 2 * MAX_PART_CHARS);
    // A dies: what it held is the node's again.
    sa.close();
    assert.equal(host.bufferedChars, 0);
    assert.equal(a.length, 0);
  });

  it('a session runs at most two object transfers at once; the rest wait their turn', async () => {
    const store = objects();
    let running = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    store.get = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((go) => gates.push(go));
      running--;
      return undefined;
    };
    const replies: BindingReply[] = [];
    const session = new BindingHost({ objects: store, kv: new MemoryKvStore() }).session(fn, (r) => replies.push(r));
    for (let i = 0; i < 4; i++) session(call('FILES', 'get', [`k${i}`]));
    session(call('SESSIONS', 'get', ['k']));
    const tick = () => new Promise((r) => setTimeout(r, 5));
    await tick();
    assert.equal(running, 2);
    assert.equal(replies.length, 1, 'a KV call does not wait for transfers');
    while (replies.length < 5) {
      gates.shift()?.();
      await tick();
    }
    assert.equal(peak, 2);
    assert.deepEqual(replies.map(code), ['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it("keeps the sandbox limits equal to the ports' (a stale copy would break the channel or the error)", () => {
    assert.equal(BINDING_LIMITS.objectBytes, MAX_OBJECT_BYTES);
  });
});

describe('binding messages from the sandbox (schema)', async () => {
  const { parseSandboxMessage } = await import('./messages.js');
  it('accepts call, part and a done with retry; refuses malformed ones', () => {
    const ok = [
      { t: 'call', cid: 1, inv: null, binding: 'S', op: 'get', args: ['k'] },
      { t: 'part', cid: 1, data: 'QUJD' },
      { t: 'done', id: 'x', value: null, rss: 1, retry: ['m1'] },
    ];
    for (const m of ok) assert.deepEqual(parseSandboxMessage(m), m);
    for (const m of [
      { t: 'call', cid: -1, inv: null, binding: 'S', op: 'get', args: [] },
      { t: 'call', cid: 1, inv: null, binding: 'S', op: 'get', args: 'k' },
      { t: 'call', cid: 1, binding: 'S', op: 'get', args: [] },
      { t: 'part', cid: 1, data: 5 },
      { t: 'done', id: 'x', value: null, rss: 1, retry: [1] },
    ])
      assert.equal(parseSandboxMessage(m), undefined, JSON.stringify(m));
  });
});

/**
 * Bindings end to end: real functions reach KV namespaces, buckets and topics through
 * `env.<NAME>` (web) and `context.env.<NAME>` (Lambda); every call crosses to the host, which
 * refuses what the manifest does not grant — including calls a function forges on the channel.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { NimbusError } from '../src/shared/errors.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

// One generic web function and one Lambda: the request body names the binding, the operation
// and its arguments; the answer is the result or the error the binding threw.
const RUN = `
// { $repeat: [s, n] } stands for s repeated n times (bodies over the gateway's request limit).
async function run(env, { b, op, args = [] }) {
  try {
    args = args.map((a) => (a && a.$repeat ? a.$repeat[0].repeat(a.$repeat[1]) : a));
    const result = await env[b][op](...args);
    if (result && typeof result.text === 'function') {
      const text = await result.text();
      return { result: { ...result, text: text.length > 1000 ? { length: text.length, ends: text.slice(0, 3) + text.slice(-3) } : text } };
    }
    return { result: result ?? null };
  } catch (e) {
    return { error: { name: e.name, code: e.code ?? null, message: e.message } };
  }
}
`;
const WEB = `${RUN}
export default {
  async fetch(request, env) {
    const body = await request.json();
    if (body.op === 'env') return new Response(JSON.stringify({ keys: Object.keys(env).sort(), greeting: env.GREETING, frozen: Object.isFrozen(env) }));
    return new Response(JSON.stringify(await run(env, body)), { headers: { 'content-type': 'application/json' } });
  },
};
`;
const LAMBDA = `${RUN}
export const handler = async (event, context) => ({ statusCode: 200, body: JSON.stringify(await run(context.env, JSON.parse(event.body))) });
`;
// Speaks the channel protocol itself, naming a binding it was not granted.
const FORGER = `
import fs from 'node:fs';
export default {
  async fetch() {
    fs.writeSync(3, JSON.stringify({ t: 'call', cid: 1e9, inv: null, binding: 'SESSIONS', op: 'put', args: ['stolen', 'yes', null] }) + '\\n');
    await new Promise((r) => setTimeout(r, 300));
    return new Response('sent');
  },
};
`;
const SUBSCRIBER = `
export default {
  async queue(batch, env) {
    for (const m of batch.messages) await env.SESSIONS.put('got:' + m.body.to, JSON.stringify(m.body));
  },
};
`;

describe('bindings', () => {
  let n: TestNimbus;
  const call = async (path: string, body: unknown) => {
    const res = await n.fetch(path, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { result?: unknown; error?: { name: string; code: string | null; message: string } };
  };
  const web = (b: string, op: string, ...args: unknown[]) => call('/web', { b, op, args });
  const lam = (b: string, op: string, ...args: unknown[]) => call('/lam', { b, op, args });

  before(async () => {
    n = await startTestNimbus();
    const bindings = {
      SESSIONS: { kv: 'sessions' },
      UPLOADS: { bucket: 'uploads', access: 'read' },
      FILES: { bucket: 'uploads' },
      EMAILS: { topic: 'emails' },
    };
    await n.deploy({
      'nimbus.yaml': manifest('binder', {
        web: { handler: 'src/web.ts', env: { GREETING: 'hi' }, bindings, triggers: [{ http: 'POST /web' }] },
        lam: { handler: 'src/lam.handler', bindings, triggers: [{ http: 'POST /lam' }] },
        forger: { handler: 'src/forger.ts', triggers: [{ http: 'POST /forge' }] },
        subscriber: { handler: 'src/subscriber.ts', bindings: { SESSIONS: { kv: 'sessions' } }, triggers: [{ topic: 'emails' }] },
      }),
      'src/web.ts': WEB,
      'src/lam.ts': LAMBDA,
      'src/forger.ts': FORGER,
      'src/subscriber.ts': SUBSCRIBER,
    });
  });
  after(() => n?.close());

  it('web env holds the env vars and one object per binding, frozen', async () => {
    const r = (await call('/web', { op: 'env' })) as unknown as { keys: string[]; greeting: string; frozen: boolean };
    assert.deepEqual(r, { keys: ['EMAILS', 'FILES', 'GREETING', 'SESSIONS', 'UPLOADS'], greeting: 'hi', frozen: true });
  });

  it('KV: put, get (text and json), list and delete from a web and a Lambda function on one namespace', async () => {
    assert.deepEqual(await web('SESSIONS', 'put', 'user:1', { name: 'Ada' }), { result: null });
    assert.deepEqual(await lam('SESSIONS', 'put', 'user:2', 'plain text'), { result: null });
    assert.deepEqual(await lam('SESSIONS', 'get', 'user:1', { type: 'json' }), { result: { name: 'Ada' } });
    assert.deepEqual(await web('SESSIONS', 'get', 'user:2'), { result: 'plain text' });
    assert.deepEqual(await web('SESSIONS', 'get', 'nobody'), { result: null });
    assert.deepEqual(await lam('SESSIONS', 'list', { prefix: 'user:' }), { result: { keys: [{ name: 'user:1' }, { name: 'user:2' }], list_complete: true } });
    assert.deepEqual(await web('SESSIONS', 'delete', 'user:1'), { result: null });
    assert.deepEqual(await lam('SESSIONS', 'get', 'user:1'), { result: null });
  });

  it('KV: a value put with expirationTtl disappears once it has expired', async () => {
    await web('SESSIONS', 'put', 'short', 'lived', { expirationTtl: 1 });
    const listed = (await web('SESSIONS', 'list', { prefix: 'short' })).result as { keys: Array<{ name: string; expiration: number }> };
    assert.equal(listed.keys[0]?.name, 'short');
    assert.ok(Math.abs(listed.keys[0].expiration - (Date.now() / 1000 + 1)) < 3, 'expiration in epoch seconds');
    assert.deepEqual(await lam('SESSIONS', 'get', 'short'), { result: 'lived' });
    await new Promise((r) => setTimeout(r, 1100));
    assert.deepEqual(await lam('SESSIONS', 'get', 'short'), { result: null });
    assert.deepEqual(await web('SESSIONS', 'list', { prefix: 'short' }), { result: { keys: [], list_complete: true } });
  });

  it('KV: an oversized value fails VALUE_TOO_LARGE inside the function', async () => {
    const r = await web('SESSIONS', 'put', 'big', 'x'.repeat(1024 * 1024 + 1));
    assert.equal(r.error?.code, 'VALUE_TOO_LARGE');
  });

  it('bucket: a readwrite binding writes what a read-only one reads, and the read-only one cannot put or delete', async () => {
    const put = (await lam('FILES', 'put', 'notes/a.txt', 'hello bucket', { contentType: 'text/plain' })).result as { key: string; size: number; etag: string };
    assert.deepEqual([put.key, put.size], ['notes/a.txt', 12]);
    const got = (await web('UPLOADS', 'get', 'notes/a.txt')).result as { key: string; size: number; etag: string; contentType: string; text: string };
    assert.deepEqual([got.key, got.size, got.etag, got.contentType, got.text], ['notes/a.txt', 12, put.etag, 'text/plain', 'hello bucket']);
    const fromApi = await n.client.getObject('uploads', 'notes/a.txt');
    assert.equal(fromApi.body.toString(), 'hello bucket');

    const refused = await web('UPLOADS', 'put', 'notes/b.txt', 'nope');
    assert.equal(refused.error?.code, 'BINDING_NOT_GRANTED');
    assert.match(
      refused.error?.message ?? '',
      /env\.UPLOADS is bound to bucket "uploads" with access: read, which does not allow put\(\): set access: readwrite \(or write\) on UPLOADS under functions\.web\.bindings in nimbus\.yaml/,
    );
    assert.equal((await lam('UPLOADS', 'delete', 'notes/a.txt')).error?.code, 'BINDING_NOT_GRANTED');
    await assert.rejects(n.client.headObject('uploads', 'notes/b.txt'), (e: unknown) => e instanceof NimbusError && e.code === 'OBJECT_NOT_FOUND');
    const listed = (await lam('UPLOADS', 'list', { prefix: 'notes/' })).result as { objects: Array<{ key: string }>; truncated: boolean };
    assert.deepEqual([listed.objects.map((o) => o.key), listed.truncated], [['notes/a.txt'], false]);
    assert.equal((await lam('FILES', 'delete', 'notes/a.txt')).result, true);
    assert.deepEqual(await web('UPLOADS', 'head', 'notes/a.txt'), { result: null });
  });

  it('bucket: an object larger than one channel message, and binary bodies, round-trip intact', async () => {
    const size = 12 * 1024 * 1024;
    const put = (await web('FILES', 'put', 'blob.txt', { $repeat: ['ab', size / 2] })).result as { size: number };
    assert.equal(put.size, size);
    const got = (await lam('UPLOADS', 'get', 'blob.txt')).result as { size: number; text: { length: number; ends: string } };
    assert.deepEqual([got.size, got.text], [size, { length: size, ends: 'ababab' }]);
    assert.equal((await n.client.headObject('uploads', 'blob.txt')).size, size);
    await n.client.putObject('uploads', 'bytes.bin', new Uint8Array([0, 255, 128, 7]));
    assert.equal(((await lam('UPLOADS', 'get', 'bytes.bin')).result as { size: number }).size, 4);
  });

  it('a call naming a binding the function was not granted is refused by the host and logged', async () => {
    const res = await n.fetch('/forge', { method: 'POST' });
    assert.equal(await res.text(), 'sent');
    assert.deepEqual(await web('SESSIONS', 'get', 'stolen'), { result: null });
    const line = await eventually(
      async () => {
        const { lines } = await n.client.logs('binder', 'forger');
        return lines.find((l) => l.stream === 'system' && l.line.startsWith('binding call refused'));
      },
      5_000,
      'the refusal in the log',
    );
    assert.match(line.line, /BINDING_NOT_GRANTED|binder\/forger has no binding named "SESSIONS": add it under functions\.forger\.bindings in nimbus\.yaml/);
    // The instance lives on: a forged call is refused, not a crash.
    assert.equal(await (await n.fetch('/forge', { method: 'POST' })).text(), 'sent');
  });

  it("another app cannot bind this app's KV namespace, bucket or topic", async () => {
    for (const binding of [{ kv: 'sessions' }, { bucket: 'uploads' }, { topic: 'emails' }]) {
      await assert.rejects(
        n.deploy({
          'nimbus.yaml': manifest(`thief-${Object.keys(binding)[0]}`, { f: { handler: 'src/f.ts', bindings: { STOLEN: binding }, triggers: [{ http: `GET /thief/${Object.keys(binding)[0]}` }] } }),
          'src/f.ts': 'export default { fetch: () => new Response("x") }',
        }),
        (e: unknown) => e instanceof NimbusError && e.code === 'RESOURCE_CONFLICT',
      );
    }
  });

  it('topic: publish from a function fans out to the subscriber, which receives the message', async () => {
    const r = (await web('EMAILS', 'publish', { to: 'ada@example.com' })).result as { messageId: string; deliveries: number };
    assert.equal(typeof r.messageId, 'string');
    assert.equal(r.deliveries, 1);
    const batch = (await lam('EMAILS', 'publishBatch', [{ to: 'bob@example.com' }, { to: 'cy@example.com' }])).result as { messageIds: string[] };
    assert.equal(batch.messageIds.length, 2);
    for (const to of ['ada@example.com', 'bob@example.com', 'cy@example.com']) {
      await eventually(async () => (await web('SESSIONS', 'get', `got:${to}`, { type: 'json' })).result, 10_000, `delivery to ${to}`);
    }
  });
});

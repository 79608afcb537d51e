/** The env binding objects, against a fake host: the wire calls they make and what they return. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildBindings } from './bindings.js';
import { MAX_PART_CHARS } from './protocol.js';
import { NimbusBindingError, RpcClient } from './rpc.js';
import type { SandboxMessage } from './protocol.js';

type Call = { binding: string; op: string; args: unknown[]; blob: string | undefined };

function fake(answer: (c: Call) => unknown) {
  const calls: Call[] = [];
  const env = buildBindings(
    { SESSIONS: { type: 'kv', kv: 'sessions' }, FILES: { type: 'bucket', bucket: 'files', access: 'readwrite' }, EMAILS: { type: 'topic', topic: 'emails' } },
    async (binding, op, args, blob) => {
      const c = { binding, op, args, blob };
      calls.push(c);
      return answer(c);
    },
  ) as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>;
  return { env, calls, kv: env['SESSIONS']!, bucket: env['FILES']!, topic: env['EMAILS']! };
}

const info = { bucket: 'files', key: 'a.txt', size: 2, etag: '"e"', contentType: 'text/plain', uploadedAt: 1_000 };

describe('KV binding', () => {
  it('put sends strings as they are and other values as JSON, with the TTL', async () => {
    const { kv, calls } = fake(() => null);
    await kv['put']!('a', 'text');
    await kv['put']!('b', { n: 1 }, { expirationTtl: 60 });
    assert.deepEqual(
      calls.map((c) => [c.op, c.args]),
      [
        ['put', ['a', 'text', null]],
        ['put', ['b', '{"n":1}', 60]],
      ],
    );
  });

  it('get returns text, or parsed JSON with type json (string or options form)', async () => {
    const { kv } = fake((c) => (c.args[0] === 'missing' ? null : '{"n":1}'));
    assert.equal(await kv['get']!('k'), '{"n":1}');
    assert.deepEqual(await kv['get']!('k', 'json'), { n: 1 });
    assert.deepEqual(await kv['get']!('k', { type: 'json' }), { n: 1 });
    assert.equal(await kv['get']!('missing', { type: 'json' }), null);
  });

  it('list is Workers-shaped: expiration in epoch seconds, list_complete and cursor', async () => {
    const { kv, calls } = fake(() => ({
      keys: [
        { name: 'a', expiration: 61_500 },
        { name: 'b', expiration: null },
      ],
      cursor: 'c1',
    }));
    assert.deepEqual(await kv['list']!({ prefix: 'a', limit: 2 }), { keys: [{ name: 'a', expiration: 61 }, { name: 'b' }], list_complete: false, cursor: 'c1' });
    assert.deepEqual(calls[0]?.args, [{ prefix: 'a', limit: 2 }]);
  });

  it('refuses oversized keys and values before sending, with the host code', async () => {
    const { kv, calls } = fake(() => null);
    await assert.rejects(kv['put']!('k'.repeat(513), 'v'), (e: unknown) => e instanceof NimbusBindingError && e.code === 'VALUE_TOO_LARGE');
    await assert.rejects(kv['put']!('k', 'v'.repeat(1024 * 1024 + 1)), (e: unknown) => e instanceof NimbusBindingError && e.code === 'VALUE_TOO_LARGE');
    await assert.rejects(kv['put']!('k', new Uint8Array(2)), TypeError);
    await assert.rejects(kv['get']!(''), TypeError);
    assert.equal(calls.length, 0);
  });
});

describe('bucket binding', () => {
  it('get gives info plus text(), json() and arrayBuffer() over text or base64 data', async () => {
    const { bucket } = fake((c) => (c.args[0] === 'bin' ? { info, data: Buffer.from([0, 255]).toString('base64'), b64: true } : c.args[0] === 'none' ? null : { info, data: '{"a":1}', b64: false }));
    const obj = (await bucket['get']!('a.txt')) as { key: string; uploaded: Date; text(): Promise<string>; json(): Promise<unknown>; arrayBuffer(): Promise<ArrayBuffer> };
    assert.equal(obj.key, 'a.txt');
    assert.equal(obj.uploaded.getTime(), 1_000);
    assert.equal(await obj.text(), '{"a":1}');
    assert.deepEqual(await obj.json(), { a: 1 });
    const bin = (await bucket['get']!('bin')) as typeof obj;
    assert.deepEqual([...new Uint8Array(await bin.arrayBuffer())], [0, 255]);
    assert.equal(await bucket['get']!('none'), null);
  });

  it('put sends strings as text and bytes as base64, with the content type', async () => {
    const { bucket, calls } = fake(() => info);
    await bucket['put']!('a.txt', 'hi', { contentType: 'text/plain' });
    await bucket['put']!('b.bin', new Uint8Array([1, 2, 3]));
    await bucket['put']!('c.bin', new Uint8Array([9, 1, 2, 3]).subarray(1).buffer.slice(1));
    assert.deepEqual(
      calls.map((c) => c.args),
      [
        ['a.txt', { data: 'hi', b64: false }, 'text/plain'],
        ['b.bin', { data: 'AQID', b64: true }, null],
        ['c.bin', { data: 'AQID', b64: true }, null],
      ],
    );
  });

  it('a body that might not fit one message goes as a blob of parts (base64), the inline body null', async () => {
    const { bucket, calls } = fake(() => info);
    const big = '\u0001é'.repeat(1024 * 1024);
    await bucket['put']!('big.txt', big);
    assert.equal(calls[0]?.args[1], null);
    assert.equal(Buffer.from(calls[0]?.blob ?? '', 'base64').toString('utf8'), big);
    await bucket['put']!('bytes', new Uint8Array(MAX_PART_CHARS));
    assert.equal(calls[1]?.args[1], null);
    assert.equal(Buffer.from(calls[1]?.blob ?? '', 'base64').length, MAX_PART_CHARS);
  });
});

describe('topic binding', () => {
  it('publish sends one message, publishBatch several', async () => {
    const { topic, calls } = fake((c) => ({ messageIds: (c.args[0] as unknown[]).map((_, i) => `id${i}`), deliveries: 2 }));
    assert.deepEqual(await topic['publish']!({ to: 'a@b.c' }), { messageId: 'id0', deliveries: 2 });
    assert.deepEqual(await topic['publishBatch']!([1, 2]), { messageIds: ['id0', 'id1'], deliveries: 2 });
    assert.deepEqual(
      calls.map((c) => c.args),
      [[[{ to: 'a@b.c' }]], [[1, 2]]],
    );
    await assert.rejects(topic['publish']!(undefined), TypeError);
    await assert.rejects(topic['publishBatch']!([]), TypeError);
  });
});

describe('RpcClient', () => {
  it('sends parts before the call, matches replies by cid, rejects with the host code', async () => {
    const sent: SandboxMessage[] = [];
    const rpc = new RpcClient((m) => sent.push(m));
    const a = rpc.call('FILES', 'put', ['k', null, null], 'x'.repeat(MAX_PART_CHARS + 1));
    const b = rpc.call('SESSIONS', 'get', ['k']);
    assert.deepEqual(
      sent.map((m) => m.t),
      ['part', 'part', 'call', 'call'],
    );
    const [c1, c2] = sent.filter((m): m is Extract<SandboxMessage, { t: 'call' }> => m.t === 'call');
    assert.equal(c1?.inv, null);
    rpc.receive({ t: 'reply', cid: c2!.cid, ok: false, error: { code: 'BINDING_NOT_GRANTED', message: 'no' } });
    rpc.receive({ t: 'reply', cid: 999, ok: true, value: 'ignored' });
    rpc.receive({ t: 'reply', cid: c1.cid, ok: true, value: 'stored' });
    assert.equal(await a, 'stored');
    await assert.rejects(b, (e: unknown) => e instanceof NimbusBindingError && e.code === 'BINDING_NOT_GRANTED' && e.message === 'no');
  });
});

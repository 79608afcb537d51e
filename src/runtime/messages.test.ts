import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { STREAM_CHUNK_BYTES } from '../sandbox/protocol.js';
import { parseSandboxMessage } from './messages.js';

describe('parseSandboxMessage', () => {
  const done = { t: 'done', id: 'x', res: { status: 200, headers: [['a', 'b']], body: 'hi', b64: false }, rss: 1 };

  it('accepts a well-formed done answer (fast path) and other messages (schema)', () => {
    assert.deepEqual(parseSandboxMessage(done), done);
    assert.deepEqual(parseSandboxMessage({ t: 'log', id: null, s: 1, line: 'x' }), { t: 'log', id: null, s: 1, line: 'x' });
  });

  it('refuses what the schema refuses, on the fast path too', () => {
    assert.equal(parseSandboxMessage({ ...done, res: { ...done.res, status: 99 } }), undefined);
    assert.equal(parseSandboxMessage({ ...done, res: { ...done.res, headers: [['a', 1]] } }), undefined);
    assert.equal(parseSandboxMessage({ ...done, res: { ...done.res, body: 5 } }), undefined);
    assert.equal(parseSandboxMessage({ ...done, id: 7 }), undefined);
    assert.equal(parseSandboxMessage({ t: 'nope' }), undefined);
    assert.equal(parseSandboxMessage('done'), undefined);
  });

  it('checks the messages of a streamed response: a chunk is bounded, a head needs a status', () => {
    const full = Buffer.alloc(STREAM_CHUNK_BYTES, 1).toString('base64');
    assert.ok(parseSandboxMessage({ t: 'chunk', id: 'x', data: full, b64: true }));
    assert.equal(parseSandboxMessage({ t: 'chunk', id: 'x', data: full + 'AAAA', b64: true }), undefined);
    assert.ok(parseSandboxMessage({ t: 'head', id: 'x', status: 200, headers: [['content-type', 'text/event-stream']] }));
    assert.equal(parseSandboxMessage({ t: 'head', id: 'x', headers: [] }), undefined);
    assert.ok(parseSandboxMessage({ t: 'end', id: 'x', rss: 1, ms: 2, cpu: 1 }));
    assert.equal(parseSandboxMessage({ t: 'end', id: 'x' }), undefined);
  });
});

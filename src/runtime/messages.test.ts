import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
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
});

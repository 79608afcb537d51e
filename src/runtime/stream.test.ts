import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { HostMessage } from '../sandbox/protocol.js';
import { STREAM_WINDOW } from '../sandbox/protocol.js';
import { HostStream, type StreamSink } from './stream.js';

/** A sink that records what it was told; `flush()` completes the pending writes. */
function fakeSink(problem?: string) {
  const calls: string[] = [];
  const pending: Array<() => void> = [];
  let gone: (() => void) | undefined;
  const sink: StreamSink = {
    head: (status, _headers, onGone) => {
      calls.push(`head ${status}`);
      gone = onGone;
      return problem;
    },
    write: (data, flushed) => {
      calls.push(`write ${data.toString()}`);
      pending.push(flushed);
    },
    end: () => void calls.push('end'),
    abort: () => void calls.push('abort'),
  };
  return { sink, calls, flush: () => pending.splice(0).forEach((f) => f()), goAway: () => gone?.() };
}

function setup(limit = 1024, problem?: string) {
  const sent: HostMessage[] = [];
  const logs: string[] = [];
  const s = fakeSink(problem);
  const stream = new HostStream(
    'inv',
    s.sink,
    (m) => sent.push(m),
    limit,
    (l) => logs.push(l),
  );
  return { ...s, stream, sent, logs };
}

describe('HostStream', () => {
  it('passes head and chunks to the sink and grants one credit per flushed chunk', () => {
    const { stream, calls, sent, flush } = setup();
    assert.equal(stream.head(200, []), undefined);
    assert.equal(stream.chunk('a', false), undefined);
    assert.equal(stream.chunk(Buffer.from('b').toString('base64'), true), undefined);
    assert.deepEqual(sent, []);
    flush();
    assert.deepEqual(sent, [
      { t: 'credit', id: 'inv', n: 1 },
      { t: 'credit', id: 'inv', n: 1 },
    ]);
    stream.finish(true);
    assert.deepEqual(calls, ['head 200', 'write a', 'write b', 'end']);
    assert.deepEqual(stream.info, { status: 200, bytes: 2 });
  });

  it('a chunk beyond the granted credit is a protocol violation; so is a chunk before the head', () => {
    const { stream } = setup();
    assert.match(stream.chunk('x', false) ?? '', /before the "head"/);
    stream.head(200, []);
    for (let i = 0; i < STREAM_WINDOW; i++) assert.equal(stream.chunk('x', false), undefined);
    assert.match(stream.chunk('x', false) ?? '', /more stream chunks than the host granted/);
  });

  it('past the byte limit: logged, cancelled, the sink aborted, later chunks dropped, the answer RESPONSE_TOO_LARGE', () => {
    const { stream, calls, sent, logs, flush } = setup(3);
    stream.head(200, []);
    stream.chunk('ab', false);
    stream.chunk('cd', false);
    stream.chunk('ef', false);
    flush();
    assert.deepEqual(calls, ['head 200', 'write ab', 'abort']);
    assert.deepEqual(sent, [{ t: 'cancel', id: 'inv' }]);
    assert.equal(stream.cut?.code, 'RESPONSE_TOO_LARGE');
    assert.equal(stream.bytes, 2);
    assert.match(logs[0] ?? '', /stream limit of 3 bytes/);
  });

  it('a client that goes away cancels the stream once; a refused head is INVALID_RESPONSE', () => {
    const a = setup();
    a.stream.head(200, []);
    a.goAway();
    a.goAway();
    assert.deepEqual(a.sent, [{ t: 'cancel', id: 'inv' }]);
    assert.equal(a.stream.cut?.code, 'CLIENT_CLOSED');
    const b = setup(1024, 'bad header');
    b.stream.head(200, [['bad\n', 'x']]);
    assert.equal(b.stream.cut?.code, 'INVALID_RESPONSE');
    b.stream.finish(false);
    assert.deepEqual(b.calls, ['head 200']);
  });

  it('a failure after the head aborts the response instead of ending it', () => {
    const { stream, calls } = setup();
    stream.head(200, []);
    stream.finish(false);
    assert.deepEqual(calls, ['head 200', 'abort']);
  });
});

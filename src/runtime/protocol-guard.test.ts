/** ProtocolGuard: what order of messages the host accepts from a sandbox it does not trust. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { SandboxMessage } from '../sandbox/protocol.js';
import { MAX_PART_CHARS } from '../sandbox/protocol.js';
import { ProtocolGuard } from './protocol-guard.js';

const ready: SandboxMessage = { t: 'ready', rss: 40e6 };
const loaded: SandboxMessage = { t: 'loaded', initMs: 1, style: 'web' };
const log: SandboxMessage = { t: 'log', id: null, s: 1, line: 'hi' };

function run(messages: SandboxMessage[]): Array<string | undefined> {
  const guard = new ProtocolGuard();
  return messages.map((m) => guard.check(m));
}

describe('ProtocolGuard', () => {
  it('accepts the honest order: ready, loaded, then anything of an instance', () => {
    const done: SandboxMessage = { t: 'done', id: 'a', rss: 1 };
    assert.deepEqual(run([ready, loaded, log, done, { t: 'part', cid: 1, data: 'QQ==' }, { t: 'part', cid: 1, data: 'QQ==' }, { t: 'call', cid: 1, inv: 'a', binding: 'F', op: 'put', args: [] }]), [
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('takes ready once: a forged one later (after load, or before it) is a violation', () => {
    assert.match(run([ready, loaded, { t: 'ready', rss: 4e9 }])[2] ?? '', /second "ready"/);
    assert.match(run([ready, { t: 'ready', rss: 4e9 }])[1] ?? '', /second "ready"/);
  });

  it('accepts nothing before ready, and loaded or loadError once', () => {
    assert.match(run([log])[0] ?? '', /"log" message before "ready"/);
    assert.match(run([ready, loaded, loaded])[2] ?? '', /second "loaded"/);
    assert.match(run([ready, { t: 'loadError', error: { name: 'E', message: 'x' } }, loaded])[2] ?? '', /second "loaded"/);
  });

  it('bounds part slices, and refuses the parts of a second call while the first is open', () => {
    assert.match(run([ready, loaded, { t: 'part', cid: 1, data: 'A'.repeat(MAX_PART_CHARS + 1) }])[2] ?? '', /"part" of \d+ characters/);
    assert.match(run([ready, loaded, { t: 'part', cid: 1, data: 'A' }, { t: 'part', cid: 2, data: 'A' }])[3] ?? '', /while the parts of call 1/);
    assert.match(run([ready, loaded, { t: 'part', cid: 1, data: 'A' }, { t: 'call', cid: 2, inv: null, binding: 'F', op: 'get', args: [] }])[3] ?? '', /while the parts of call 1/);
  });
});

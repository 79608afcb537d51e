/** LogGate: line caps and log quotas on the host, with a fake clock. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { LogStream } from '../domain/index.js';
import { FakeClock } from '../shared/clock.js';
import { LOG_TRUNCATED, LogGate, type LogQuota } from './log-gate.js';

function setup(quota: Partial<LogQuota> = {}) {
  const clock = new FakeClock(1_000_000);
  const kept: Array<{ id: string | null; stream: LogStream; line: string }> = [];
  const gate = new LogGate(quota, clock, (id, stream, line) => kept.push({ id, stream, line }));
  const markers = () => kept.filter((l) => l.line.startsWith(LOG_TRUNCATED));
  return { clock, kept, gate, markers };
}

describe('LogGate', () => {
  it('cuts every line at 16 KB, whatever its source', () => {
    const { gate, kept } = setup();
    gate.begin('a');
    gate.write('a', 'stdout', 'x'.repeat(4 * 1024 * 1024));
    assert.equal(kept.length, 1);
    assert.equal(kept[0]!.line.length, 16 * 1024 + '…[truncated]'.length);
  });

  it('keeps 1 MB per invocation and marks the cut once', () => {
    const { gate, kept, markers, clock } = setup();
    gate.begin('a');
    for (let i = 0; i < 300; i++) {
      gate.write('a', 'stderr', 'y'.repeat(10_000));
      if (i % 50 === 49) clock.advance(1000); // under the rate limit
    }
    const bytes = kept.filter((l) => l.stream !== 'system').reduce((n, l) => n + l.line.length + 1, 0);
    assert.ok(bytes <= 1024 * 1024 && bytes > 1024 * 1024 - 10_002, `kept ${bytes} bytes`);
    assert.equal(markers().length, 1);
    assert.equal(markers()[0]!.id, 'a');
    // The next invocation has its own allowance.
    gate.end('a');
    gate.begin('b');
    gate.write('b', 'stdout', 'fine');
    assert.equal(kept.at(-1)!.line, 'fine');
  });

  it('keeps 100 lines a second per instance, with one marker per second cut', () => {
    const { gate, kept, markers, clock } = setup();
    gate.begin('a');
    for (let i = 0; i < 1000; i++) gate.write('a', 'stdout', `line ${i}`);
    clock.advance(1000);
    for (let i = 0; i < 1000; i++) gate.write(null, 'stdout', `late ${i}`);
    assert.equal(kept.filter((l) => l.stream === 'stdout').length, 200);
    assert.equal(markers().length, 2);
  });

  it('files lines with an id the instance was never sent under no invocation; host lines pass', () => {
    const { gate, kept } = setup({ linesPerSecond: 1 });
    gate.begin('mine');
    gate.write('someone-elses', 'stdout', 'forged');
    gate.write('mine', 'system', 'REPORT …');
    assert.deepEqual(
      kept.map((l) => [l.id, l.stream]),
      [
        [null, 'stdout'],
        ['mine', 'system'],
      ],
    );
  });

  it('is configurable', () => {
    const { gate, kept, markers } = setup({ bytesPerInvocation: 100, linesPerSecond: 1000 });
    gate.begin('a');
    for (let i = 0; i < 10; i++) gate.write('a', 'stdout', '0123456789abcdefghi');
    assert.equal(kept.filter((l) => l.stream === 'stdout').length, 5);
    assert.equal(markers().length, 1);
  });
});

/**
 * The telemetry writer when the store refuses a batch: a passing failure (the database restarting
 * or failing over) keeps the batch and writes it again, in order, once the store answers; any other
 * failure, a batch kept too long, or rows past the cap are dropped with a log line.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { InvocationRecord, LogLine } from '../domain/index.js';
import { invocation } from '../store/contract-fixtures.js';
import { MemoryStore } from '../store/index.js';
import type { TelemetrySink } from './sink.js';
import { isPassing, MAX_RETAINED_ROWS, TelemetryWriter } from './writer.js';

const record = (id: string): InvocationRecord => invocation(id, 1_000);

function line(text: string): LogLine {
  return { invocationId: 'inv', app: 'shop', function: 'cart', version: 3, ts: 1_000, stream: 'stdout', line: text } as LogLine;
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** A sink that throws what `fail` returns (undefined: writes) and keeps what it wrote. */
class ScriptedSink implements TelemetrySink {
  readonly written: string[] = [];
  lines = 0;
  constructor(public fail: () => Error | undefined) {}
  async write(records: InvocationRecord[], lines: LogLine[]): Promise<void> {
    const err = this.fail();
    if (err) throw err;
    this.written.push(...records.map((r) => r.id));
    this.lines += lines.length;
  }
  async close(): Promise<void> {}
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), 'the condition was never met');
}

function writer(sink: TelemetrySink, logs: string[], o: { retainMs?: number } = {}) {
  return new TelemetryWriter({ store: new MemoryStore(), sink, log: (l) => logs.push(l), flushMs: 5, retryMs: 20, ...o });
}

describe('TelemetryWriter when the store refuses', () => {
  it('keeps what the store refused while it restarts and writes it, in order, once it answers', async () => {
    let down = true;
    const sink = new ScriptedSink(() => (down ? refused() : undefined));
    const logs: string[] = [];
    const w = writer(sink, logs);
    w.record(record('r1'));
    await w.flush();
    w.record(record('r2'));
    w.log(line('hello'));
    await w.flush();
    assert.deepEqual(sink.written, []);
    assert.ok(w.pendingInvocation('r1'), 'a kept record is still found by id');
    down = false;
    await until(() => sink.written.length === 2);
    assert.deepEqual(sink.written, ['r1', 'r2']);
    assert.equal(sink.lines, 1);
    assert.equal(w.pendingInvocation('r1'), undefined);
    assert.match(logs.join('\n'), /kept and written again once it answers/);
    assert.match(logs.join('\n'), /answers again/);
    assert.doesNotMatch(logs.join('\n'), /dropped/);
    await w.close();
  });

  it('drops at once a batch refused for another reason, and one the store refused for longer than it keeps them', async () => {
    let fail: Error = new Error('value too long for type character varying');
    const sink = new ScriptedSink(() => fail);
    const logs: string[] = [];
    const w = writer(sink, logs, { retainMs: 60 });
    w.record(record('bad'));
    await w.flush();
    assert.equal(w.pendingInvocation('bad'), undefined);
    assert.match(logs.join('\n'), /dropped 1 records and 0 log lines: value too long/);
    fail = refused();
    w.record(record('late'));
    await w.flush();
    assert.ok(w.pendingInvocation('late'));
    await until(() => w.pendingInvocation('late') === undefined);
    assert.match(logs.at(-1)!, /dropped 1 records and 0 log lines: connect ECONNREFUSED.*kept for another try/);
    await w.close();
  });

  it(`keeps at most ${MAX_RETAINED_ROWS} rows, dropping the oldest batches first, and drops what is left at close`, async () => {
    const sink = new ScriptedSink(refused);
    const logs: string[] = [];
    const w = writer(sink, logs);
    const half = MAX_RETAINED_ROWS / 2;
    w.record(record('oldest'));
    await w.flush();
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < half; i++) w.log(line(`b${b} ${i}`));
      await w.flush();
    }
    assert.equal(w.pendingInvocation('oldest'), undefined, 'the oldest batch went');
    assert.match(logs.join('\n'), /dropped 1 records and 0 log lines: more than 50000 rows wait/);
    const before = logs.length;
    await w.close();
    const atClose = logs.slice(before).map((l) => Number(/dropped 0 records and (\d+) log lines: connect ECONNREFUSED/.exec(l)?.[1] ?? NaN));
    assert.equal(
      atClose.reduce((a, b) => a + b, 0),
      2 * half,
      'every line still kept is dropped at close, with a line saying so',
    );
  });

  it('tells a passing failure from one in the data', () => {
    assert.equal(isPassing(refused()), true);
    assert.equal(isPassing(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })), true);
    assert.equal(isPassing(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isPassing(Object.assign(new Error('database unavailable'), { code: 'DATABASE_UNAVAILABLE' })), true);
    assert.equal(isPassing(Object.assign(new Error('duplicate key'), { code: '23505' })), false);
    assert.equal(isPassing(new Error('value too long')), false);
  });
});

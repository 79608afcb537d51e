import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { InvocationRecord } from '../../domain/index.js';
import { invocation } from '../../store/contract-fixtures.js';
import { devObserver } from './printer.js';

// The store's record fixture, as an HTTP call to `hello` v2 on a new instance.
const record = (over: Partial<InvocationRecord>): InvocationRecord => invocation('i1', 0, { function: 'hello', version: 2, durationMs: 12.4, coldStart: true, initMs: 5, ...over });

describe('nimbus dev printer', () => {
  it('prints an HTTP invocation once its answer names method and path, and other triggers at once', () => {
    const lines: string[] = [];
    const o = devObserver((l) => lines.push(l), false);
    o.record(record({}));
    assert.deepEqual(lines, [], 'held until the gateway answers');
    o.request({ method: 'GET', path: '/hello/ada', status: 200, invocationId: 'i1' });
    o.record(record({ id: 'e1', trigger: 'topic', coldStart: false, status: 'error', errorCode: 'FUNCTION_ERROR', errorMessage: 'boom', httpStatus: null, durationMs: 3.25 }));
    o.request({ method: 'GET', path: '/nope', status: 404, invocationId: null });
    o.log({ seq: 0, invocationId: 'i1', app: 'shop', function: 'hello', version: 2, ts: 0, stream: 'stderr', line: 'careful' });
    assert.deepEqual(lines, ['GET /hello/ada  200  12 ms  cold  hello v2', '(topic)  error  3.3 ms  hello v2  FUNCTION_ERROR: boom', 'GET /nope  404  (no invocation)', '  hello | careful']);
  });

  it('colours by stream and status on a terminal', () => {
    const lines: string[] = [];
    const o = devObserver((l) => lines.push(l), true);
    o.log({ seq: 0, invocationId: null, app: 'shop', function: 'hello', version: 2, ts: 0, stream: 'stderr', line: 'careful' });
    o.log({ seq: 0, invocationId: null, app: 'shop', function: 'hello', version: 2, ts: 0, stream: 'stdout', line: 'fine' });
    o.record(record({ httpStatus: 500 }));
    o.request({ method: 'GET', path: '/x', status: 500, invocationId: 'i1' });
    const red = (t: string) => `\u001b[31m${t}\u001b[0m`;
    assert.ok(lines[0]!.endsWith(` ${red('careful')}`));
    assert.ok(lines[1]!.endsWith(' fine'), 'stdout lines keep the terminal colour');
    assert.ok(lines[2]!.includes(`  ${red('500')}  `));
  });
});

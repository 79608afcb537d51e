/** Builders for the store contract suite and adapter-specific tests. */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import type { FunctionConfig, InvocationRecord, LogLine } from '../domain/index.js';
import { withConfigDefaults } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import type { ErrorCode } from '../shared/errors.js';
import type { DeployFunctionInput } from './port.js';

export const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

export function config(overrides: Partial<FunctionConfig> = {}): FunctionConfig {
  return withConfigDefaults({
    handler: { file: 'src/hello.ts', export: null },
    env: { GREETING: 'hi' },
    triggers: [{ type: 'http', method: 'GET', path: '/hello/{name}' }],
    ...overrides,
  });
}

/** A deploy input whose hashes are computed the way the server computes them. */
export function fn(name: string, code: string, cfg: FunctionConfig = config()): DeployFunctionInput {
  const codeHash = sha(code);
  return { name, config: cfg, code, codeHash, hash: sha(codeHash + JSON.stringify(cfg)) };
}

export function invocation(id: string, startedAt: number, over: Partial<InvocationRecord> = {}): InvocationRecord {
  return {
    id,
    app: 'shop',
    function: 'cart',
    version: 1,
    trigger: 'http',
    startedAt,
    durationMs: 12.5,
    billedMs: 13,
    memoryMb: 128,
    maxMemoryMb: null,
    coldStart: false,
    initMs: null,
    status: 'ok',
    errorCode: null,
    errorMessage: null,
    httpStatus: 200,
    traceId: null,
    ...over,
  };
}

export function log(line: string, over: Partial<LogLine> = {}): LogLine {
  return {
    seq: 0,
    invocationId: 'inv-1',
    app: 'shop',
    function: 'cart',
    version: 1,
    ts: 1_000,
    stream: 'stdout',
    line,
    ...over,
  };
}

export function rejectsWith(code: ErrorCode): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof NimbusError, `expected a NimbusError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  };
}

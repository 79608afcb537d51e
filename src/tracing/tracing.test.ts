import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { NimbusError } from '../shared/errors.js';
import { parseTraceparent, startTracing, traceIdOf } from './index.js';

describe('startTracing', () => {
  it('is nothing at all without an endpoint (no provider, no tracer)', async () => {
    assert.equal(await startTracing(undefined), undefined);
    assert.equal(await startTracing({ endpoint: '' }), undefined);
  });

  it('refuses an unknown sampler or a ratio outside 0..1', async () => {
    await assert.rejects(startTracing({ endpoint: 'http://127.0.0.1:1', sampler: 'sometimes' }), (e: unknown) => e instanceof NimbusError && e.code === 'BAD_REQUEST');
    await assert.rejects(startTracing({ endpoint: 'http://127.0.0.1:1', sampler: 'traceidratio', samplerArg: '2' }), (e: unknown) => e instanceof NimbusError && e.code === 'BAD_REQUEST');
    const ok = await startTracing({ endpoint: 'http://127.0.0.1:1', sampler: 'parentbased_traceidratio', samplerArg: '0.5' });
    assert.ok(ok);
    await ok.close();
  });
});

describe('traceparent', () => {
  it('parses W3C version 00 and rejects malformed or all-zero ids', () => {
    assert.deepEqual(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    assert.equal(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00'), '4bf92f3577b34da6a3ce929d0e0e4736');
    for (const bad of [
      undefined,
      '',
      'garbage',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`,
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    ]) {
      assert.equal(parseTraceparent(bad), undefined, String(bad));
    }
  });
});

import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { withConfigDefaults } from './config.js';
import type { FunctionConfig } from './types.js';

describe('withConfigDefaults', () => {
  it('fills the event settings missing from a config stored before they existed', () => {
    const stored = {
      handler: { file: 'src/a.ts', export: null },
      memory: 256,
      timeout: 10,
      concurrency: null,
      instanceConcurrency: 4,
      minInstances: 1,
      idleTimeout: 60,
      env: { A: '1' },
      triggers: [{ type: 'http' as const, method: 'GET', path: '/a' }],
    };
    assert.deepEqual(withConfigDefaults(stored), {
      ...stored,
      maxQueueWait: 0.5,
      retries: 2,
      maxEventAge: 21600,
      destinations: { onSuccess: null, onFailure: null },
      bindings: {},
    });
  });

  it('keeps every value a config has, null concurrency and a half-set destinations included', () => {
    const config: FunctionConfig = {
      handler: { file: 'a.js', export: 'handler' },
      memory: 128,
      timeout: 3,
      concurrency: 5,
      instanceConcurrency: 1,
      minInstances: 0,
      idleTimeout: 300,
      maxQueueWait: 2,
      env: {},
      triggers: [],
      retries: 0,
      maxEventAge: 60,
      destinations: { onSuccess: { topic: 'done' }, onFailure: null },
      bindings: { KV: { type: 'kv', kv: 'kv' } },
    };
    assert.deepEqual(withConfigDefaults(config), config);
    assert.equal(withConfigDefaults({ handler: config.handler, concurrency: null }).concurrency, null);
    const partial = { handler: config.handler, destinations: { onFailure: { function: 'f' } } } as unknown as FunctionConfig;
    assert.deepEqual(withConfigDefaults(partial).destinations, { onSuccess: null, onFailure: { function: 'f' } });
  });
});

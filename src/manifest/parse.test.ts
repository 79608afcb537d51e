import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseManifest } from './parse.js';

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('parseManifest: valid manifests', () => {
  it('normalizes a full manifest, applying defaults then built-ins', () => {
    const spec = parseManifest(
      lines(
        'app: shop',
        'defaults: { memory: 256, timeout: 10, env: { STAGE: prod, DEBUG: false } }',
        'functions:',
        '  hello:',
        '    handler: src/hello.ts',
        '    env: { GREETING: hi, RETRIES: 3, DEBUG: true }',
        '    triggers:',
        '      - http: GET /hello/{name}',
        '      - http: post /hello',
        '  orders:',
        '    handler: src/orders.lambdaHandler',
        '    memory: 1024',
        '    concurrency: 20',
        '    instanceConcurrency: 4',
        '    minInstances: 2',
        '    idleTimeout: 60',
        '    timeout: 0.5',
      ),
    );
    assert.deepEqual(spec, {
      app: 'shop',
      functions: {
        hello: {
          handler: { file: 'src/hello.ts', export: null },
          memory: 256,
          timeout: 10,
          concurrency: null,
          instanceConcurrency: 1,
          minInstances: 0,
          idleTimeout: 300,
          maxQueueWait: 0.5,
          env: { STAGE: 'prod', DEBUG: 'true', GREETING: 'hi', RETRIES: '3' },
          triggers: [
            { type: 'http', method: 'GET', path: '/hello/{name}' },
            { type: 'http', method: 'POST', path: '/hello' },
          ],
          retries: 2,
          maxEventAge: 21600,
          destinations: { onSuccess: null, onFailure: null },
          bindings: {},
        },
        orders: {
          handler: { file: 'src/orders', export: 'lambdaHandler' },
          memory: 1024,
          timeout: 0.5,
          concurrency: 20,
          instanceConcurrency: 4,
          minInstances: 2,
          idleTimeout: 60,
          maxQueueWait: 0.5,
          env: { STAGE: 'prod', DEBUG: 'false' },
          triggers: [],
          retries: 2,
          maxEventAge: 21600,
          destinations: { onSuccess: null, onFailure: null },
          bindings: {},
        },
      },
    });
  });

  it('uses the built-in defaults when nothing is set', () => {
    const spec = parseManifest(lines('app: a', 'functions:', '  f: { handler: f.js }'));
    assert.deepEqual(spec.functions['f'], {
      handler: { file: 'f.js', export: null },
      memory: 128,
      timeout: 3,
      concurrency: null,
      instanceConcurrency: 1,
      minInstances: 0,
      idleTimeout: 300,
      maxQueueWait: 0.5,
      env: {},
      triggers: [],
      retries: 2,
      maxEventAge: 21600,
      destinations: { onSuccess: null, onFailure: null },
      bindings: {},
    });
  });

  it('lets a function lift a default concurrency with null', () => {
    const spec = parseManifest(lines('app: a', 'defaults: { concurrency: 5 }', 'functions:', '  f: { handler: f.js, concurrency: null }', '  g: { handler: g.js }'));
    assert.equal(spec.functions['f']?.concurrency, null);
    assert.equal(spec.functions['g']?.concurrency, 5);
  });
});

import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseManifest } from './parse.js';

const lines = (...l: string[]): string => `${l.join('\n')}\n`;
const fnOf = (text: string, name = 'f') => {
  const fn = parseManifest(text).functions[name];
  assert.ok(fn, `function ${name} parsed`);
  return fn;
};
const triggersOf = (...items: string[]) => fnOf(lines('app: a', 'functions:', '  f:', '    handler: f.js', '    env: { HOOK_SECRET: s }', '    triggers:', ...items)).triggers;

describe('parseManifest: async-event settings and bindings', () => {
  it('defaults retries, maxEventAge, destinations and bindings', () => {
    const fn = fnOf(lines('app: a', 'functions:', '  f: { handler: f.js }'));
    assert.equal(fn.retries, 2);
    assert.equal(fn.maxEventAge, 21600);
    assert.deepEqual(fn.destinations, { onSuccess: null, onFailure: null });
    assert.deepEqual(fn.bindings, {});
  });

  it('normalizes the settings of the plan example', () => {
    const fn = fnOf(
      lines(
        'app: a',
        'functions:',
        '  audit: { handler: audit.js }',
        '  f:',
        '    handler: f.js',
        '    retries: 0',
        '    maxEventAge: 60',
        '    destinations:',
        '      onSuccess: { function: audit }',
        '      onFailure: { topic: failures }',
        '    bindings:',
        '      SESSIONS: { kv: sessions }',
        '      UPLOADS: { bucket: uploads, access: read }',
        '      FILES: { bucket: files.v2 }',
        '      EMAILS: { topic: emails }',
      ),
    );
    assert.equal(fn.retries, 0);
    assert.equal(fn.maxEventAge, 60);
    assert.deepEqual(fn.destinations, { onSuccess: { function: 'audit' }, onFailure: { topic: 'failures' } });
    assert.deepEqual(fn.bindings, {
      SESSIONS: { type: 'kv', kv: 'sessions' },
      UPLOADS: { type: 'bucket', bucket: 'uploads', access: 'read' },
      FILES: { type: 'bucket', bucket: 'files.v2', access: 'readwrite' },
      EMAILS: { type: 'topic', topic: 'emails' },
    });
  });

  it('merges defaults: settings replaced, destinations and bindings key by key, null lifts a destination', () => {
    const spec = parseManifest(
      lines(
        'app: a',
        'defaults:',
        '  retries: 5',
        '  maxEventAge: 3600',
        '  destinations: { onSuccess: { topic: done }, onFailure: { function: errors } }',
        '  bindings: { SESSIONS: { kv: sessions }, EMAILS: { topic: emails } }',
        'functions:',
        '  errors:',
        '    handler: errors.js',
        '    retries: 10',
        '    destinations: { onFailure: null }',
        '  f:',
        '    handler: f.js',
        '    destinations: { onSuccess: { topic: audit } }',
        '    bindings: { SESSIONS: { kv: other }, UPLOADS: { bucket: uploads, access: write } }',
      ),
    );
    const { errors, f } = spec.functions;
    assert.equal(errors?.retries, 10);
    assert.equal(errors?.maxEventAge, 3600);
    assert.deepEqual(errors?.destinations, { onSuccess: { topic: 'done' }, onFailure: null });
    assert.equal(f?.retries, 5);
    assert.deepEqual(f?.destinations, { onSuccess: { topic: 'audit' }, onFailure: { function: 'errors' } });
    assert.deepEqual(f?.bindings, {
      SESSIONS: { type: 'kv', kv: 'other' },
      EMAILS: { type: 'topic', topic: 'emails' },
      UPLOADS: { type: 'bucket', bucket: 'uploads', access: 'write' },
    });
  });
});

describe('parseManifest: triggers of every kind', () => {
  it('normalizes schedules: cron with 5 or 6 fields, rates, time zone, catchUp', () => {
    assert.deepEqual(
      triggersOf(
        '      - schedule: "0 2 * * *"',
        '        timezone: Europe/Paris',
        '        catchUp: true',
        '      - schedule: 30 0 2 * * MON-FRI',
        '      - schedule: rate(5 minutes)',
        '      - schedule: rate(1 day)',
      ),
      [
        { type: 'schedule', schedule: '0 2 * * *', timezone: 'Europe/Paris', catchUp: true },
        { type: 'schedule', schedule: '30 0 2 * * MON-FRI', timezone: null, catchUp: false },
        { type: 'schedule', schedule: 'rate(5 minutes)', timezone: null, catchUp: false },
        { type: 'schedule', schedule: 'rate(1 day)', timezone: null, catchUp: false },
      ],
    );
  });

  it('normalizes topics with batch defaults', () => {
    assert.deepEqual(triggersOf('      - topic: orders', '      - { topic: orders.eu, batchSize: 100, maxBatchWindow: 300 }'), [
      { type: 'topic', topic: 'orders', batchSize: 1, maxBatchWindow: 0 },
      { type: 'topic', topic: 'orders.eu', batchSize: 100, maxBatchWindow: 300 },
    ]);
  });

  it("normalizes webhooks, the header lower-cased and GitHub's by default", () => {
    assert.deepEqual(triggersOf('      - webhook: /hooks/github', '        secret: HOOK_SECRET', '      - webhook: /hooks/ci', '        secret: HOOK_SECRET', '        header: X-Signature'), [
      { type: 'webhook', path: '/hooks/github', secret: 'HOOK_SECRET', header: 'x-hub-signature-256' },
      { type: 'webhook', path: '/hooks/ci', secret: 'HOOK_SECRET', header: 'x-signature' },
    ]);
  });

  it('normalizes bucket triggers: both events by default, in a canonical order', () => {
    assert.deepEqual(triggersOf('      - bucket: uploads', '      - bucket: uploads', '        events: [deleted, created]', '        prefix: images/', '      - { bucket: logs, events: [deleted] }'), [
      { type: 'bucket', bucket: 'uploads', events: ['created', 'deleted'], prefix: '' },
      { type: 'bucket', bucket: 'uploads', events: ['created', 'deleted'], prefix: 'images/' },
      { type: 'bucket', bucket: 'logs', events: ['deleted'], prefix: '' },
    ]);
  });

  it('keeps HTTP triggers as they were, beside the other kinds', () => {
    assert.deepEqual(triggersOf('      - http: get /x', '      - topic: t'), [
      { type: 'http', method: 'GET', path: '/x' },
      { type: 'topic', topic: 't', batchSize: 1, maxBatchWindow: 0 },
    ]);
  });

  it('normalizes replay settings: delivery and timestamp headers lower-cased, a default tolerance, nothing added when unset', () => {
    assert.deepEqual(
      triggersOf(
        '      - webhook: /hooks/a',
        '        secret: HOOK_SECRET',
        '        deliveryHeader: X-Request-Id',
        '        timestampHeader: X-Webhook-Timestamp',
        '      - webhook: /hooks/b',
        '        secret: HOOK_SECRET',
        '        timestampHeader: X-Ts',
        '        tolerance: 60',
      ),
      [
        { type: 'webhook', path: '/hooks/a', secret: 'HOOK_SECRET', header: 'x-hub-signature-256', deliveryHeader: 'x-request-id', timestampHeader: 'x-webhook-timestamp', tolerance: 300 },
        { type: 'webhook', path: '/hooks/b', secret: 'HOOK_SECRET', header: 'x-hub-signature-256', timestampHeader: 'x-ts', tolerance: 60 },
      ],
    );
  });

  it('lets a webhook take a path that an HTTP route serves only for other methods', () => {
    assert.equal(triggersOf('      - http: GET /hooks/a', '      - webhook: /hooks/a', '        secret: HOOK_SECRET').length, 2);
  });
});

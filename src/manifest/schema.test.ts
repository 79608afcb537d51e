import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseManifest } from './parse.js';
import { appSpecSchema } from './schema.js';

const manifest = `
app: shop
defaults: { memory: 256, env: { A: 1 } }
functions:
  web: { handler: src/web.ts, triggers: [{ http: "GET /a/{id}" }, { http: "ANY /b/{proxy+}" }] }
  lambda: { handler: src/l.handler, concurrency: 3, minInstances: 3, timeout: 1.5 }
  events:
    handler: src/events.ts
    env: { HOOK: secret }
    retries: 4
    destinations: { onSuccess: { function: web }, onFailure: { topic: failures } }
    bindings: { KV: { kv: sessions }, FILES: { bucket: uploads, access: read }, OUT: { topic: out } }
    triggers:
      - { schedule: "0 2 * * *", timezone: Europe/Paris, catchUp: true }
      - { topic: orders, batchSize: 10, maxBatchWindow: 5 }
      - { webhook: /hooks/ci, secret: HOOK }
      - { bucket: uploads, events: [created], prefix: img/ }
`;

describe('appSpecSchema', () => {
  it('accepts exactly what parseManifest outputs, also after a JSON round trip', () => {
    const spec = parseManifest(manifest);
    assert.deepEqual(appSpecSchema.parse(spec), spec);
    assert.deepEqual(appSpecSchema.parse(JSON.parse(JSON.stringify(spec))), spec);
    const resolved = structuredClone(spec);
    if (resolved.functions['lambda']) resolved.functions['lambda'].handler.file = 'src/l.cjs';
    assert.equal(appSpecSchema.safeParse(resolved).success, true);
  });

  it('rejects unknown keys, raw manifest forms and out-of-range values', () => {
    const spec = parseManifest(manifest);
    const bad: [string, (s: any) => void][] = [
      ['extra top-level key', (s) => (s.defaults = {})],
      ['extra function key', (s) => (s.functions.web.handlerFile = 'x')],
      ['string handler', (s) => (s.functions.web.handler = 'src/web.ts')],
      ['raw trigger form', (s) => (s.functions.web.triggers = [{ http: 'GET /x' }])],
      ['missing setting', (s) => delete s.functions.web.idleTimeout],
      ['number env value', (s) => (s.functions.web.env = { A: 1 })],
      ['reserved env', (s) => (s.functions.web.env = { NIMBUS_X: '1' })],
      ['memory too big', (s) => (s.functions.web.memory = 8192)],
      ['bad method', (s) => (s.functions.web.triggers[0].method = 'FETCH')],
      ['bad path', (s) => (s.functions.web.triggers[0].path = '/a/{proxy+}/b')],
      ['no functions', (s) => (s.functions = {})],
      ['missing retries', (s) => delete s.functions.events.retries],
      ['retries too big', (s) => (s.functions.events.retries = 11)],
      ['maxEventAge too small', (s) => (s.functions.events.maxEventAge = 59)],
      ['missing destination key', (s) => delete s.functions.events.destinations.onFailure],
      ['raw destination form', (s) => (s.functions.events.destinations.onFailure = { function: 'web', topic: 'x' })],
      ['raw binding form', (s) => (s.functions.events.bindings.KV = { kv: 'sessions' })],
      ['bad binding access', (s) => (s.functions.events.bindings.FILES.access = 'all')],
      ['lower-case binding name', (s) => (s.functions.events.bindings = { kv: { type: 'kv', kv: 'x' } })],
      ['bad resource name', (s) => (s.functions.events.bindings.OUT.topic = 'Out')],
      ['unknown trigger type', (s) => (s.functions.events.triggers[0].type = 'cron')],
      ['bad cron', (s) => (s.functions.events.triggers[0].schedule = '0 2 * *')],
      ['bad time zone', (s) => (s.functions.events.triggers[0].timezone = 'Mars/Base')],
      ['time zone on a rate', (s) => (s.functions.events.triggers[0].schedule = 'rate(5 minutes)')],
      ['missing catchUp', (s) => delete s.functions.events.triggers[0].catchUp],
      ['batch too big', (s) => (s.functions.events.triggers[1].batchSize = 101)],
      ['webhook with params', (s) => (s.functions.events.triggers[2].path = '/hooks/{id}')],
      ['upper-case header', (s) => (s.functions.events.triggers[2].header = 'X-Hub-Signature-256')],
      ['no bucket events', (s) => (s.functions.events.triggers[3].events = [])],
      ['twice the same event', (s) => (s.functions.events.triggers[3].events = ['created', 'created'])],
    ];
    for (const [what, mutate] of bad) {
      const copy = structuredClone(spec);
      mutate(copy);
      assert.equal(appSpecSchema.safeParse(copy).success, false, what);
    }
  });

  it('runs the cross-field checks: route conflicts and minInstances', () => {
    const spec = parseManifest(manifest);
    const conflict = structuredClone(spec);
    conflict.functions['lambda']?.triggers.push({ type: 'http', method: 'POST', path: '/b/{rest+}' });
    const result = appSpecSchema.safeParse(conflict);
    assert.equal(result.success, false);
    assert.deepEqual(result.error?.issues[0]?.path, ['functions', 'lambda', 'triggers', 0]);
    assert.match(result.error?.issues[0]?.message ?? '', /overlaps "ANY \/b\/\{proxy\+\}" of function "web"/);

    const warm = structuredClone(spec);
    if (warm.functions['lambda']) warm.functions['lambda'].minInstances = 4;
    assert.match(appSpecSchema.safeParse(warm).error?.issues[0]?.message ?? '', /minInstances \(4\) is more than concurrency \(3\)/);
  });

  it('runs the cross-field checks of events: webhooks, secrets, destinations, binding names', () => {
    const spec = parseManifest(manifest);
    const cases: [(s: any) => void, (string | number)[], RegExp][] = [
      [(s) => s.functions.web.triggers.push({ type: 'http', method: 'POST', path: '/hooks/ci' }), ['functions', 'events', 'triggers', 2, 'path'], /is also the route "POST \/hooks\/ci"/],
      [(s) => (s.functions.events.env = {}), ['functions', 'events', 'triggers', 2, 'secret'], /"HOOK" is not an env variable of function "events"/],
      [(s) => (s.functions.events.destinations.onSuccess = { function: 'gone' }), ['functions', 'events', 'destinations', 'onSuccess', 'function'], /"gone" is not a function of this app/],
      [(s) => (s.functions.events.env.KV = 'x'), ['functions', 'events', 'bindings', 'KV'], /binding "KV" has the name of an env variable/],
      [
        (s) => s.functions.web.triggers.push({ type: 'webhook', path: '/hooks/ci', secret: 'A', header: 'x-sig' }),
        ['functions', 'events', 'triggers', 2, 'path'],
        /is also the webhook of function "web"/,
      ],
    ];
    for (const [mutate, path, message] of cases) {
      const copy = structuredClone(spec);
      mutate(copy);
      const issues = appSpecSchema.safeParse(copy).error?.issues ?? [];
      assert.equal(issues.length, 1, String(message));
      assert.deepEqual(issues[0]?.path, path);
      assert.match(issues[0]?.message ?? '', message);
    }
  });
});

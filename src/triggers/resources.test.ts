import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FunctionConfig, FunctionVersion, Trigger } from '../domain/index.js';
import type { NewEvent } from '../queue/port.js';
import { NimbusError } from '../shared/errors.js';
import { checkResourceConflicts, Resources } from './resources.js';
import { Topics } from './topics.js';

function config(triggers: Trigger[], extra: Partial<FunctionConfig> = {}): FunctionConfig {
  return { triggers, bindings: {}, destinations: { onSuccess: null, onFailure: null }, env: {}, retries: 2, maxEventAge: 60, ...extra } as FunctionConfig;
}
function fn(app: string, name: string, cfg: FunctionConfig): FunctionVersion {
  return { app, name, version: 1, hash: '', codeHash: '', codeSize: 0, config: cfg, createdAt: 0 };
}
const topic = (t: string): Trigger => ({ type: 'topic', topic: t, batchSize: 1, maxBatchWindow: 0 });
const hook = (path: string): Trigger => ({ type: 'webhook', path, secret: 'S', header: 'x-hub-signature-256' });

function conflict(f: () => void): NimbusError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof NimbusError);
    return err;
  }
  assert.fail('expected a conflict');
}

describe('resource ownership', () => {
  const shop = [
    fn('shop', 'orders', config([topic('orders'), { type: 'bucket', bucket: 'uploads', events: ['created'], prefix: '' }, hook('/hooks/gh')])),
    fn('shop', 'mailer', config([], { bindings: { SESSIONS: { type: 'kv', kv: 'sessions' } }, destinations: { onSuccess: null, onFailure: { topic: 'failures' } } })),
  ];

  it('refuses a topic, bucket or KV namespace another app names, naming both apps', () => {
    const cases: FunctionConfig[] = [
      config([topic('orders')]),
      config([], { bindings: { B: { type: 'bucket', bucket: 'uploads', access: 'read' } } }),
      config([], { bindings: { K: { type: 'kv', kv: 'sessions' } } }),
      config([], { destinations: { onSuccess: { topic: 'failures' }, onFailure: null } }),
    ];
    for (const c of cases) {
      const e = conflict(() => checkResourceConflicts('blog', [{ name: 'x', config: c }], shop));
      assert.equal(e.code, 'RESOURCE_CONFLICT');
      assert.match(e.message, /blog\/x/);
      assert.match(e.message, /"shop"/);
    }
  });

  it('lets an app redeploy its own resources (webhook paths are routes: deploy/conflicts.ts)', () => {
    checkResourceConflicts('shop', [{ name: 'orders', config: config([topic('orders'), hook('/hooks/gh')]) }], shop);
    checkResourceConflicts('blog', [{ name: 'x', config: config([hook('/hooks/gh')]) }], shop);
  });

  it('lets two stages of one app share a resource only when both declare it shared', () => {
    const shared = { topics: ['orders'] };
    const prod = [fn('shop', 'orders', config([topic('orders')], { shared }))];
    checkResourceConflicts('shop-staging', [{ name: 'orders', config: config([topic('orders')], { stage: 'staging', shared }) }], prod);
    // Not declared shared by the staging copy, by the owner, or not the same app: refused.
    assert.equal(conflict(() => checkResourceConflicts('shop-staging', [{ name: 'o', config: config([topic('orders')], { stage: 'staging' }) }], prod)).code, 'RESOURCE_CONFLICT');
    assert.equal(conflict(() => checkResourceConflicts('shop-staging', [{ name: 'o', config: config([topic('orders')], { stage: 'staging', shared }) }], shop)).code, 'RESOURCE_CONFLICT');
    assert.equal(conflict(() => checkResourceConflicts('blog-staging', [{ name: 'o', config: config([topic('orders')], { stage: 'staging', shared }) }], prod)).code, 'RESOURCE_CONFLICT');
  });

  it('indexes owners and subscribers of the active versions', () => {
    const r = new Resources();
    r.setFunctions([...shop, fn('shop', 'audit', config([topic('orders')]))]);
    assert.deepEqual(
      r.topics().map(([t, e]) => [t, e.app, e.subscribers.map((s) => s.fn.name)]),
      [
        ['failures', 'shop', []],
        ['orders', 'shop', ['audit', 'orders']],
      ],
    );
    assert.equal(r.bucket('uploads')?.subscribers.length, 1);
    assert.equal(r.kvOwner('sessions'), 'shop');
    r.setFunctions([]);
    assert.equal(r.topic('orders'), undefined);
  });

  it('reports names no deployed function names any more, after the first set only', () => {
    const released: string[] = [];
    const r = new Resources({ released: (x) => released.push(`${x.kind}:${x.name}:${x.app}`) });
    r.setFunctions(shop);
    assert.deepEqual(released, []);
    r.setFunctions([shop[0]!]);
    assert.deepEqual(released.sort(), ['kv:sessions:shop', 'topic:failures:shop']);
    r.setFunctions([]);
    assert.deepEqual(released.slice(2).sort(), ['bucket:uploads:shop', 'topic:orders:shop']);
  });

  it('publishes one event per message and subscriber in one enqueue, or TOPIC_NOT_FOUND', async () => {
    const r = new Resources();
    r.setFunctions([...shop, fn('shop', 'audit', config([topic('orders')], { retries: 0 }))]);
    const calls: NewEvent[][] = [];
    const topics = new Topics({ resources: r, queue: { enqueue: async (events) => (calls.push(events), events.map((e) => ({ id: e.id, duplicate: false }))) } });
    const out = await topics.publish('orders', [{ n: 1 }, { n: 2 }]);
    assert.equal(out.messageIds.length, 2);
    assert.equal(out.deliveries, 4);
    assert.equal(calls.length, 1);
    assert.deepEqual(
      calls[0]!.map((e) => [e.target.function, e.payload, e.source, e.shape, e.origin]),
      [
        ['audit', { n: 1 }, 'topic', 'queue', 'orders'],
        ['audit', { n: 2 }, 'topic', 'queue', 'orders'],
        ['orders', { n: 1 }, 'topic', 'queue', 'orders'],
        ['orders', { n: 2 }, 'topic', 'queue', 'orders'],
      ],
    );
    assert.equal(calls[0]![0]!.maxAttempts, 1);
    assert.equal((await topics.publish('failures', ['x'])).deliveries, 0, 'a topic only bound or sent to exists, without subscribers');
    await assert.rejects(topics.publish('nope', [1]), { code: 'TOPIC_NOT_FOUND' });
  });
  it('refuses an email address claimed by another app, or by two functions of one app', () => {
    const mail = (address: string): Trigger => ({ type: 'email', address });
    const shop = [fn('shop', 'orders', config([mail('orders@shop.example')]))];
    const other = conflict(() => checkResourceConflicts('thief', [{ name: 'take', config: config([mail('orders@shop.example')]) }], shop));
    assert.match(other.message, /email address "orders@shop\.example" \(named by thief\/take in a trigger\) belongs to app "shop"/);
    const twice = conflict(() =>
      checkResourceConflicts(
        'shop',
        [
          { name: 'a', config: config([mail('x@shop.example')]) },
          { name: 'b', config: config([mail('x@shop.example')]) },
        ],
        [],
      ),
    );
    assert.match(twice.message, /claimed by both shop\/a and shop\/b/);
    // A rollback of one function is checked against the app's others, which stay.
    const kept = [fn('shop', 'a', config([mail('x@shop.example')]))];
    assert.equal(conflict(() => checkResourceConflicts('shop', [{ name: 'b', config: config([mail('x@shop.example')]) }], kept, false)).code, 'RESOURCE_CONFLICT');
    checkResourceConflicts('shop', [{ name: 'a', config: config([mail('x@shop.example')]) }], kept, false);
  });
});

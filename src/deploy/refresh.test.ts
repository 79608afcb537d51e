/**
 * Two nodes of a cluster: two Deployments on one store. A change on one is `published`; the other
 * `refresh`es the app and serves what the store says (versions, aliases, canary splits).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FunctionVersion, InvocationRecord } from '../domain/index.js';
import { parseManifest } from '../manifest/index.js';
import { FakeClock } from '../shared/clock.js';
import { invocation } from '../store/contract-fixtures.js';
import { MemoryStore } from '../store/index.js';
import { Deployments } from './service.js';

const spec = parseManifest(`
app: shop
functions:
  web: { handler: src/web.ts, triggers: [{ http: "GET /a" }] }
`);

function node(store: MemoryStore, clock: FakeClock, o: { shared?: boolean } = {}) {
  const published: string[] = [];
  // The canary runner's timers, fired by hand (`fire`).
  const timers: Array<() => void> = [];
  const logs: string[] = [];
  const active = new Map<string, number>();
  const serving = new Map<string, number[]>();
  const d = new Deployments(
    store,
    {
      activate: (fn: FunctionVersion) => active.set(`${fn.app}/${fn.name}`, fn.version),
      deactivate: (app, name) => active.delete(`${app}/${name}`),
      changed: () => {},
      serving: (app, name, versions) => serving.set(`${app}/${name}`, versions.map((v) => v.version).sort()),
      published: (app) => published.push(app),
    },
    {},
    {
      clock,
      random: () => 0,
      shared: o.shared ?? false,
      log: (l) => logs.push(l),
      schedule: (run) => {
        timers.push(run);
        return () => timers.splice(timers.indexOf(run) >>> 0, 1);
      },
    },
  );
  const fire = async () => {
    for (const run of timers.splice(0)) run();
    await d.exclusive(async () => {});
  };
  return { d, published, active, serving, timers, fire, logs };
}

/** Two nodes on one fresh store, started. */
async function pair(o: { shared?: boolean } = {}) {
  const clock = new FakeClock(1_000);
  const store = new MemoryStore({ clock: () => clock.now() });
  const a = node(store, clock, o);
  const b = node(store, clock, o);
  await a.d.init();
  await b.d.init();
  return { clock, store, a, b };
}

const deploy = (d: Deployments, code: string, canary?: { weight: number; durationMs: number }) => d.deploy('shop', { spec, bundles: { web: { code } }, ...(canary ? { canary } : {}) });

describe('Deployments across nodes', () => {
  it('a deploy, an alias, a rollback, a canary and a delete on one node are served by the other after refresh', async () => {
    const { a, b } = await pair();

    await deploy(a.d, 'v1');
    await deploy(a.d, 'v2');
    assert.deepEqual(a.published, ['shop', 'shop']);
    assert.equal(b.d.current('shop', 'web'), undefined, 'b has not refreshed yet');
    await b.d.refresh('shop');
    assert.equal(b.d.current('shop', 'web')?.version, 2);
    assert.equal(b.active.get('shop/web'), 2);
    assert.deepEqual(b.published, [], 'a refresh is not published again');

    await a.d.aliases.set('shop', 'web', 'live', { version: 1 });
    assert.equal(a.published.length, 3);
    await b.d.refresh('shop');
    assert.equal((await b.d.resolveAlias('shop', 'web', 'live'))?.version, 1);
    assert.deepEqual(b.serving.get('shop/web'), [1]);

    await a.d.rollback('shop', 'web');
    await b.d.refresh('shop');
    assert.equal(b.d.current('shop', 'web')?.version, 1);

    // A canary started on a: b routes its share (random() = 0 picks the new version) without running its timer.
    await deploy(a.d, 'v3', { weight: 50, durationMs: 60_000 });
    await b.d.refresh('shop');
    assert.equal(b.d.serve('shop', 'web')?.version, 3);
    await a.d.canaries.abort('shop');
    assert.equal(a.published.at(-1), 'shop');
    await b.d.refresh('shop');
    assert.equal(b.d.serve('shop', 'web')?.version, 1);

    await a.d.aliases.remove('shop', 'web', 'live');
    await b.d.refresh('shop');
    assert.equal(await b.d.resolveAlias('shop', 'web', 'live'), undefined);

    await a.d.deleteApp('shop');
    await b.d.refresh('shop');
    assert.equal(b.d.current('shop', 'web'), undefined);
    assert.equal(b.active.has('shop/web'), false);
    a.d.close();
    b.d.close();
  });

  it('refuses a deploy on one node while another node runs a canary of the app, until its window is over', async () => {
    const { clock, a, b } = await pair();
    await deploy(a.d, 'v1');
    await deploy(a.d, 'v2', { weight: 10, durationMs: 60_000 });
    await b.d.refresh('shop');
    await assert.rejects(deploy(b.d, 'v3'), (err: unknown) => (err as { code?: string }).code === 'CANARY_IN_PROGRESS');
    await assert.rejects(b.d.rollback('shop', 'web', 1), (err: unknown) => (err as { code?: string }).code === 'CANARY_IN_PROGRESS');
    // Node a died with its canary running: once the window (and a grace) is over, b deploys again.
    a.d.close();
    clock.advance(60_000 + 31_000);
    await deploy(b.d, 'v3');
    assert.equal(b.d.current('shop', 'web')?.version, 3);
  });

  describe('canaries on a shared store', () => {
    async function twoNodes() {
      const { clock, store, a, b } = await pair({ shared: true });
      await deploy(a.d, 'v1');
      await deploy(a.d, 'v2', { weight: 50, durationMs: 60_000 });
      await b.d.refresh('shop');
      return { clock, store, a, b };
    }

    it('an abort on another node rolls the canary back, and the starting node neither promotes nor rolls it back again', async () => {
      const { clock, store, a, b } = await twoNodes();
      assert.equal(b.d.serve('shop', 'web')?.version, 2, "b routes the canary's share");
      const done = await b.d.canaries.abort('shop');
      assert.equal(done.state, 'rolled-back');
      assert.equal((await store.getCanary('shop'))?.state, 'rolled-back');
      assert.equal(b.d.serve('shop', 'web')?.version, 1);
      // a's window ends before it read the change: it must not promote the aborted versions.
      clock.advance(61_000);
      await a.fire();
      assert.equal((await store.getCanary('shop'))?.state, 'rolled-back');
      assert.equal(b.d.current('shop', 'web')?.version, 1);
      assert.equal((await store.getFunction('shop', 'web'))?.active.version, 1, 'the stored active version stays 1');
      assert.match(a.logs.join('\n'), /already ended on another node/);
      await a.d.refresh('shop');
      assert.equal(a.d.serve('shop', 'web')?.version, 1);
      await assert.rejects(b.d.canaries.abort('shop'), (err: unknown) => (err as { code?: string }).code === 'CANARY_NOT_FOUND');
      a.d.close();
      b.d.close();
    });

    it('the starting node drops its timer when it reads that another node ended the canary', async () => {
      const { a, b } = await twoNodes();
      assert.equal(a.timers.length, 1, 'a runs the canary timer');
      assert.equal(b.timers.length, 0, 'b only routes its share');
      await b.d.canaries.abort('shop');
      await a.d.refresh('shop');
      assert.equal(a.timers.length, 0);
      assert.equal((await a.d.canaries.status('shop')).state, 'rolled-back');
      a.d.close();
      b.d.close();
    });

    it('a canary whose node died is rolled back by another node 30 s past its window, not before', async () => {
      const { clock, store, a, b } = await twoNodes();
      a.d.close(); // node a dies with its canary running
      clock.advance(60_000 + 20_000);
      await b.d.canaries.endOrphans();
      assert.equal((await store.getCanary('shop'))?.state, 'running', 'within the grace period its node may still end it');
      clock.advance(11_000);
      await b.d.canaries.endOrphans();
      const c = await store.getCanary('shop');
      assert.equal(c?.state, 'rolled-back');
      assert.match(c?.reason ?? '', /node running it stopped/);
      assert.equal(b.d.serve('shop', 'web')?.version, 1);
      assert.deepEqual(b.published.at(-1), 'shop', 'the other nodes are told');
      b.d.close();
    });

    let runs = 0;
    const run = (version: number, status: InvocationRecord['status'] = 'ok') => invocation(`r${++runs}`, 1_000, { function: 'web', version, status });

    it("stores the counts as they go: another node's --status shows them, and a restart resumes them", async () => {
      const { clock, store, a, b } = await twoNodes();
      for (let i = 0; i < 3; i++) a.d.observe(run(2));
      a.d.observe(run(1));
      a.d.observe(run(1, 'error'));
      await a.d.canaryTick();
      const seenByB = (await b.d.canaries.status('shop')).functions[0]!;
      assert.deepEqual(
        [seenByB.old, seenByB.new],
        [
          { requests: 2, errors: 1 },
          { requests: 3, errors: 0 },
        ],
      );
      // Node a restarts on its own store: the counts go on from what was stored.
      a.d.close();
      const again = node(store, clock);
      await again.d.init();
      again.d.observe(run(2));
      const resumed = (await again.d.canaries.status('shop')).functions[0]!;
      assert.deepEqual([resumed.old.requests, resumed.new.requests], [2, 4]);
      again.d.close();
      b.d.close();
    });

    it('a checkpoint that comes after another node ended the canary does not bring it back', async () => {
      const { store, a, b } = await twoNodes();
      a.d.observe(run(2));
      await b.d.canaries.abort('shop');
      await a.d.canaryTick();
      assert.equal((await store.getCanary('shop'))?.state, 'rolled-back');
      assert.equal((await store.runningCanaries()).length, 0);
      a.d.close();
      b.d.close();
    });

    it('a node that starts on a shared store routes a running canary without running it', async () => {
      const { clock, store, a } = await twoNodes();
      const c = node(store, clock, { shared: true });
      await c.d.init();
      assert.equal(c.d.serve('shop', 'web')?.version, 2);
      assert.equal(c.timers.length, 0);
      // On a store of its own, a restarted node resumes its canaries.
      const solo = node(store, clock);
      await solo.d.init();
      assert.equal(solo.timers.length, 1);
      a.d.close();
      c.d.close();
      solo.d.close();
    });
  });
});

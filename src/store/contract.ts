/**
 * The one contract every Store implementation runs (see sqlite.test.ts, memory.test.ts).
 * `make` gets a clock so the suite can assert exact timestamps; a factory that ignores it
 * still type-checks, but then the timestamp assertions fail, which is the point.
 */
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LogLine } from '../domain/index.js';
import { config, fn, invocation, log, rejectsWith, sha } from './contract-fixtures.js';
import type { Store } from './port.js';
import { aliasesContract } from './contract-aliases.js';
import { keysContract } from './contract-keys.js';
import { rollupsContract } from './contract-rollups.js';

export function storeContract(name: string, make: (clock: () => number) => Promise<Store> | Store): void {
  keysContract(name, make);
  aliasesContract(name, make);
  rollupsContract(name, make);
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let now: number;
    beforeEach(async () => {
      now = 1_000;
      store = await make(() => now);
    });
    afterEach(() => store.close());

    describe('deployApp', () => {
      it('creates version 1 of every new function, active and latest', async () => {
        const cart = fn('cart', 'export default 1');
        const result = await store.deployApp('shop', [cart, fn('pay', 'export default 2')]);
        assert.deepEqual(result, {
          app: 'shop',
          functions: [
            { name: 'cart', version: 1, created: true },
            { name: 'pay', version: 1, created: true },
          ],
          removed: [],
        });
        assert.deepEqual(await store.getFunction('shop', 'cart'), {
          app: 'shop',
          name: 'cart',
          activeVersion: 1,
          latestVersion: 1,
          createdAt: 1_000,
          updatedAt: 1_000,
          active: {
            app: 'shop',
            name: 'cart',
            version: 1,
            hash: cart.hash,
            codeHash: cart.codeHash,
            codeSize: 16,
            config: config(),
            createdAt: 1_000,
          },
        });
      });

      it('creates nothing when a function is redeployed with the same hash', async () => {
        await store.deployApp('shop', [fn('cart', 'a')]);
        now = 2_000;
        const result = await store.deployApp('shop', [fn('cart', 'a')]);
        assert.deepEqual(result.functions, [{ name: 'cart', version: 1, created: false }]);
        assert.equal((await store.listVersions('shop', 'cart')).length, 1);
        assert.equal((await store.getFunction('shop', 'cart'))?.updatedAt, 1_000);
        assert.equal((await store.listApps())[0]?.updatedAt, 2_000);
      });

      it('creates version 2 and makes it active when the code or the config changes', async () => {
        await store.deployApp('shop', [fn('cart', 'a'), fn('pay', 'p')]);
        now = 2_000;
        const result = await store.deployApp('shop', [fn('cart', 'b'), fn('pay', 'p', config({ memory: 256 }))]);
        assert.deepEqual(result.functions, [
          { name: 'cart', version: 2, created: true },
          { name: 'pay', version: 2, created: true },
        ]);
        const cart = await store.getFunction('shop', 'cart');
        assert.equal(cart?.activeVersion, 2);
        assert.equal(cart?.latestVersion, 2);
        assert.equal(cart?.createdAt, 1_000);
        assert.equal(cart?.updatedAt, 2_000);
        assert.equal(cart?.active.codeHash, sha('b'));
        assert.equal((await store.getFunction('shop', 'pay'))?.active.config.memory, 256);
      });

      it('deletes functions missing from a later deploy, with their versions', async () => {
        await store.deployApp('shop', [fn('cart', 'a'), fn('pay', 'p'), fn('admin', 'x')]);
        const result = await store.deployApp('shop', [fn('cart', 'a')]);
        assert.deepEqual(result.removed, ['admin', 'pay']);
        assert.equal(await store.getFunction('shop', 'pay'), undefined);
        assert.deepEqual(await store.listVersions('shop', 'pay'), []);
        assert.deepEqual(
          (await store.listFunctions('shop')).map((f) => f.name),
          ['cart'],
        );
        // A function deployed again after removal starts over at version 1.
        const again = await store.deployApp('shop', [fn('cart', 'a'), fn('pay', 'p2')]);
        assert.deepEqual(again.functions[1], { name: 'pay', version: 1, created: true });
      });

      it('keeps two apps independent, even with the same function names', async () => {
        await store.deployApp('shop', [fn('api', 'shop api')]);
        await store.deployApp('blog', [fn('api', 'blog api')]);
        await store.deployApp('blog', []);
        assert.equal((await store.getFunction('shop', 'api'))?.active.codeHash, sha('shop api'));
        assert.equal(await store.getFunction('blog', 'api'), undefined);
        assert.deepEqual(
          (await store.listApps()).map((a) => [a.app, a.functions]),
          [
            ['blog', 0],
            ['shop', 1],
          ],
        );
      });

      it('compares with the active version, so redeploying the rolled-back-from code makes a new version', async () => {
        await store.deployApp('shop', [fn('cart', 'a')]);
        await store.deployApp('shop', [fn('cart', 'b')]);
        await store.setActiveVersion('shop', 'cart', 1);
        const same = await store.deployApp('shop', [fn('cart', 'a')]);
        assert.deepEqual(same.functions[0], { name: 'cart', version: 1, created: false });
        const newer = await store.deployApp('shop', [fn('cart', 'b')]);
        assert.deepEqual(newer.functions[0], { name: 'cart', version: 3, created: true });
      });

      it('rejects a deploy naming a function twice and changes nothing', async () => {
        await assert.rejects(store.deployApp('shop', [fn('cart', 'a'), fn('cart', 'b')]), rejectsWith('BAD_REQUEST'));
        assert.deepEqual(await store.listApps(), []);
        assert.equal(await store.getCode(sha('a')), undefined);
      });
    });

    describe('reading apps and functions', () => {
      it('lists apps by name with function counts and timestamps', async () => {
        await store.deployApp('shop', [fn('cart', 'a'), fn('pay', 'p')]);
        now = 5_000;
        await store.deployApp('blog', [fn('post', 'x')]);
        await store.deployApp('shop', [fn('cart', 'a'), fn('pay', 'p')]);
        assert.deepEqual(await store.listApps(), [
          { app: 'blog', functions: 1, createdAt: 5_000, updatedAt: 5_000 },
          { app: 'shop', functions: 2, createdAt: 1_000, updatedAt: 5_000 },
        ]);
      });

      it('lists functions of every app or of one, sorted, with their active config', async () => {
        const handler = { file: 'src/app.ts', export: 'lambdaHandler' };
        const cfg = config({ concurrency: 4, env: { A: '1', B: 'ü' }, handler });
        await store.deployApp('shop', [fn('pay', 'p', cfg), fn('cart', 'a')]);
        await store.deployApp('blog', [fn('post', 'x')]);
        const all = await store.listFunctions();
        assert.deepEqual(
          all.map((f) => `${f.app}/${f.name}`),
          ['blog/post', 'shop/cart', 'shop/pay'],
        );
        const shop = await store.listFunctions('shop');
        assert.deepEqual(
          shop.map((f) => f.name),
          ['cart', 'pay'],
        );
        assert.deepEqual(shop[1]?.active.config, cfg);
        assert.deepEqual(await store.listFunctions('nope'), []);
        assert.equal(await store.getFunction('shop', 'nope'), undefined);
      });

      it('lists versions oldest first and gets one by number', async () => {
        for (const [i, code] of ['a', 'b', 'c'].entries()) {
          now = 1_000 * (i + 1);
          await store.deployApp('shop', [fn('cart', code)]);
        }
        const versions = await store.listVersions('shop', 'cart');
        assert.deepEqual(
          versions.map((v) => [v.version, v.codeHash, v.createdAt]),
          [
            [1, sha('a'), 1_000],
            [2, sha('b'), 2_000],
            [3, sha('c'), 3_000],
          ],
        );
        assert.equal((await store.getVersion('shop', 'cart', 2))?.hash, fn('cart', 'b').hash);
        assert.equal(await store.getVersion('shop', 'cart', 4), undefined);
      });
    });

    describe('setActiveVersion', () => {
      it('rolls back to an older version and returns the updated record', async () => {
        await store.deployApp('shop', [fn('cart', 'a')]);
        await store.deployApp('shop', [fn('cart', 'b')]);
        now = 9_000;
        const record = await store.setActiveVersion('shop', 'cart', 1);
        assert.equal(record.activeVersion, 1);
        assert.equal(record.latestVersion, 2);
        assert.equal(record.updatedAt, 9_000);
        assert.equal(record.active.codeHash, sha('a'));
        assert.deepEqual(await store.getFunction('shop', 'cart'), record);
      });

      it('throws FUNCTION_NOT_FOUND and VERSION_NOT_FOUND', async () => {
        await store.deployApp('shop', [fn('cart', 'a')]);
        await assert.rejects(store.setActiveVersion('shop', 'nope', 1), rejectsWith('FUNCTION_NOT_FOUND'));
        await assert.rejects(store.setActiveVersion('nope', 'cart', 1), rejectsWith('FUNCTION_NOT_FOUND'));
        await assert.rejects(store.setActiveVersion('shop', 'cart', 2), rejectsWith('VERSION_NOT_FOUND'));
        assert.equal((await store.getFunction('shop', 'cart'))?.activeVersion, 1);
      });
    });

    describe('code', () => {
      it('returns the bundle and counts its size in bytes', async () => {
        const bundle = 'export const s = "héllo";';
        await store.deployApp('shop', [fn('cart', bundle)]);
        assert.equal(await store.getCode(sha(bundle)), bundle);
        assert.equal((await store.getFunction('shop', 'cart'))?.active.codeSize, 26);
        assert.equal(await store.getCode(sha('missing')), undefined);
      });

      it('shares one bundle between functions and drops it when nothing references it', async () => {
        await store.deployApp('shop', [fn('cart', 'same'), fn('pay', 'same', config({ memory: 512 }))]);
        await store.deployApp('blog', [fn('post', 'same')]);
        assert.equal(await store.deleteFunction('shop', 'cart'), true);
        assert.equal(await store.getCode(sha('same')), 'same');
        await store.deployApp('shop', []);
        assert.equal(await store.getCode(sha('same')), 'same');
        assert.equal(await store.deleteApp('blog'), true);
        assert.equal(await store.getCode(sha('same')), undefined);
      });

      it('keeps the code of older versions so a rollback can run them', async () => {
        await store.deployApp('shop', [fn('cart', 'a')]);
        await store.deployApp('shop', [fn('cart', 'b')]);
        await store.deployApp('shop', [fn('cart', 'b'), fn('tmp', 't')]);
        await store.deployApp('shop', [fn('cart', 'b')]);
        assert.equal(await store.getCode(sha('a')), 'a');
        assert.equal(await store.getCode(sha('t')), undefined);
      });
    });

    describe('deleting', () => {
      it('deletes a function with its versions, once', async () => {
        await store.deployApp('shop', [fn('cart', 'a'), fn('pay', 'p')]);
        await store.deployApp('shop', [fn('cart', 'b'), fn('pay', 'p')]);
        assert.equal(await store.deleteFunction('shop', 'cart'), true);
        assert.equal(await store.deleteFunction('shop', 'cart'), false);
        assert.equal(await store.getFunction('shop', 'cart'), undefined);
        assert.deepEqual(await store.listVersions('shop', 'cart'), []);
        assert.deepEqual(await store.getCode(sha('a')), undefined);
        assert.deepEqual(
          (await store.listApps()).map((a) => a.functions),
          [1],
        );
      });

      it('deletes an app with its functions, once, leaving other apps alone', async () => {
        await store.deployApp('shop', [fn('cart', 'a')]);
        await store.deployApp('blog', [fn('post', 'x')]);
        assert.equal(await store.deleteApp('shop'), true);
        assert.equal(await store.deleteApp('shop'), false);
        assert.deepEqual(
          (await store.listApps()).map((a) => a.app),
          ['blog'],
        );
        assert.deepEqual(
          (await store.listFunctions()).map((f) => f.name),
          ['post'],
        );
        assert.deepEqual(await store.listVersions('shop', 'cart'), []);
        assert.equal(await store.getCode(sha('a')), undefined);
      });
    });

    describe('invocations', () => {
      it('stores a batch and reads each record back unchanged', async () => {
        const cold = invocation('inv-2', 1_001, {
          coldStart: true,
          initMs: 4.25,
          maxMemoryMb: 41.5,
          status: 'error',
          errorCode: 'FUNCTION_ERROR',
          errorMessage: 'boom',
          httpStatus: 502,
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          trigger: 'api',
          // The cluster node that ran it (issue 11).
          node: 'node-b',
        });
        await store.insertInvocations([invocation('inv-1', 1_000), cold]);
        await store.insertInvocations([]);
        assert.deepEqual(await store.getInvocation('inv-1'), invocation('inv-1', 1_000));
        assert.deepEqual(await store.getInvocation('inv-2'), cold);
        assert.equal(await store.getInvocation('nope'), undefined);
      });

      it('keeps the latest attempt when an id repeats, whatever order the batches arrive in', async () => {
        const first = invocation('inv-1', 1_000, { status: 'error', errorCode: 'FUNCTION_ERROR', errorMessage: 'boom', trigger: 'event' });
        const second = invocation('inv-1', 3_000, { status: 'ok', trigger: 'event' });
        await store.insertInvocations([first, invocation('inv-2', 1_001)]);
        await store.insertInvocations([second]);
        assert.deepEqual(await store.getInvocation('inv-1'), second);
        await store.insertInvocations([first]);
        assert.deepEqual(await store.getInvocation('inv-1'), second, 'an older attempt replayed changes nothing');
        assert.deepEqual(
          (await store.listInvocations({ app: 'shop', function: 'cart' })).map((r) => [r.id, r.startedAt]),
          [
            ['inv-1', 3_000],
            ['inv-2', 1_001],
          ],
        );
      });

      it('lists one function newest first, with limit and before', async () => {
        await store.insertInvocations([
          invocation('a', 100),
          invocation('c', 300),
          invocation('b', 200),
          invocation('b2', 200),
          invocation('other', 250, { function: 'pay' }),
          invocation('else', 250, { app: 'blog' }),
        ]);
        const ids = async (q: { limit?: number; before?: number }) => (await store.listInvocations({ app: 'shop', function: 'cart', ...q })).map((r) => r.id);
        assert.deepEqual(await ids({}), ['c', 'b2', 'b', 'a']);
        assert.deepEqual(await ids({ limit: 2 }), ['c', 'b2']);
        assert.deepEqual(await ids({ before: 300 }), ['b2', 'b', 'a']);
        assert.deepEqual(await ids({ before: 200, limit: 5 }), ['a']);
        assert.deepEqual(await ids({ limit: -1 }), ['c']);
      });

      it('returns 50 by default and at most 1000', async () => {
        await store.insertInvocations(Array.from({ length: 1_005 }, (_, i) => invocation(`inv-${i}`, i)));
        const page = await store.listInvocations({ app: 'shop', function: 'cart' });
        assert.equal(page.length, 50);
        assert.equal(page[0]?.id, 'inv-1004');
        assert.equal((await store.listInvocations({ app: 'shop', function: 'cart', limit: 5_000 })).length, 1_000);
      });
    });

    describe('logs', () => {
      it('assigns increasing seqs and returns one function oldest first', async () => {
        await store.appendLogs([log('one'), log('two', { stream: 'stderr' }), log('elsewhere', { function: 'pay' })]);
        await store.appendLogs([log('three', { invocationId: null, stream: 'system', ts: 1_005 })]);
        const { lines } = await store.queryLogs({ app: 'shop', function: 'cart' });
        assert.deepEqual(
          lines.map((l) => l.line),
          ['one', 'two', 'three'],
        );
        const seqs = lines.map((l) => l.seq);
        assert.ok(seqs[0]! > 0 && seqs[0]! < seqs[1]! && seqs[1]! < seqs[2]!, `seqs ${seqs.join()}`);
        assert.deepEqual(lines[2], log('three', { seq: seqs[2]!, invocationId: null, stream: 'system', ts: 1_005 }));
      });

      it('filters by afterSeq, invocationId and limit', async () => {
        const other = { invocationId: 'inv-2' };
        await store.appendLogs([log('a1'), log('b1', other), log('a2'), log('b2', other)]);
        const { lines: all } = await store.queryLogs({ app: 'shop', function: 'cart' });
        const q = { app: 'shop', function: 'cart' };
        const text = (page: { lines: LogLine[] }) => page.lines.map((l) => l.line);
        assert.deepEqual(text(await store.queryLogs({ ...q, afterSeq: all[1]!.seq })), ['a2', 'b2']);
        assert.deepEqual(text(await store.queryLogs({ ...q, invocationId: 'inv-2' })), ['b1', 'b2']);
        assert.deepEqual(text(await store.queryLogs({ ...q, invocationId: 'inv-2', afterSeq: all[1]!.seq })), ['b2']);
        assert.deepEqual(text(await store.queryLogs({ ...q, limit: 3 })), ['a1', 'b1', 'a2']);
        assert.deepEqual(await store.queryLogs({ ...q, afterSeq: all[3]!.seq }), { lines: [], more: false });
      });

      it('pages at most 1000 lines (a larger limit is clamped), says whether more follow, and the next page starts after the last seq', async () => {
        await store.appendLogs(Array.from({ length: 2_010 }, (_, i) => log(`line ${i}`)));
        const q = { app: 'shop', function: 'cart' };
        const page = await store.queryLogs(q);
        assert.equal(page.lines.length, 1_000);
        assert.equal(page.lines[999]?.line, 'line 999');
        assert.equal(page.more, true);
        const big = await store.queryLogs({ ...q, limit: 10_000 });
        assert.equal(big.lines.length, 1_000);
        const second = await store.queryLogs({ ...q, afterSeq: page.lines[999]?.seq, limit: 10_000 });
        assert.equal(second.lines[0]?.line, 'line 1000');
        const last = await store.queryLogs({ ...q, afterSeq: second.lines.at(-1)!.seq });
        assert.deepEqual([last.lines.length, last.more, last.lines.at(-1)?.line], [10, false, 'line 2009']);
        const exact = await store.queryLogs({ ...q, afterSeq: second.lines.at(-1)!.seq, limit: 10 });
        assert.equal(exact.more, false, 'a page ending exactly at the last line has no more');
      });

      it('stops a page at ~1 MB of text and cuts a line over 64 K characters, saying so', async () => {
        const q = { app: 'shop', function: 'cart' };
        await store.appendLogs([log('x'.repeat(300_000)), ...Array.from({ length: 20 }, (_, i) => log(`${i % 10}`.repeat(60_000)))]);
        const first = await store.queryLogs(q);
        assert.match(first.lines[0]!.line, /… \[nimbus: line cut at 65536 of 300000 characters\]$/);
        assert.equal(first.lines[0]!.line.startsWith('x'.repeat(65_536) + ' '), true);
        const bytes = first.lines.reduce((n, l) => n + Buffer.byteLength(l.line), 0);
        assert.ok(bytes <= 1024 * 1024, `${bytes} bytes`);
        assert.equal(first.more, true);
        assert.equal(first.lines.length, 17);
        const rest = await store.queryLogs({ ...q, afterSeq: first.lines.at(-1)!.seq });
        assert.equal(rest.lines.length, 4);
        assert.equal(rest.more, false);
        // One line never fits the byte cap alone when cut; a page always holds at least one line.
        const inv = await store.queryLogs({ ...q, invocationId: 'inv-1', limit: 2 });
        assert.equal(inv.lines.length, 2);
      });
    });

    describe('pruneBefore', () => {
      it('deletes invocations and log lines older than the time and counts them', async () => {
        await store.insertInvocations([invocation('old', 100), invocation('edge', 500), invocation('new', 900)]);
        await store.appendLogs([log('old', { ts: 100 }), log('older', { ts: 50 }), log('edge', { ts: 500 })]);
        assert.equal(await store.pruneBefore(500), 3);
        assert.equal(await store.getInvocation('old'), undefined);
        assert.equal((await store.getInvocation('edge'))?.startedAt, 500);
        const { lines: left } = await store.queryLogs({ app: 'shop', function: 'cart' });
        assert.deepEqual(
          left.map((l) => l.line),
          ['edge'],
        );
        assert.equal(await store.pruneBefore(500), 0);
      });

      it('never reuses a seq, even after pruning every line', async () => {
        await store.appendLogs([log('a', { ts: 1 }), log('b', { ts: 2 })]);
        const last = (await store.queryLogs({ app: 'shop', function: 'cart' })).lines[1]!.seq;
        await store.pruneBefore(10);
        await store.appendLogs([log('c', { ts: 20 })]);
        const { lines: after } = await store.queryLogs({ app: 'shop', function: 'cart', afterSeq: last });
        assert.deepEqual(
          after.map((l) => l.line),
          ['c'],
        );
      });
    });
  });
}

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { fn, invocation, log } from './contract-fixtures.js';
import { storeContract } from './contract.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteStore } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'nimbus-store-'));
let files = 0;
const nextFile = (): string => join(dir, `state-${++files}.db`);
after(() => rmSync(dir, { recursive: true, force: true }));

storeContract('SqliteStore (file)', (clock) => SqliteStore.open({ file: nextFile(), clock }));
storeContract('SqliteStore (:memory:)', (clock) => SqliteStore.open({ file: ':memory:', clock }));

describe('SqliteStore', () => {
  it('stores a large batch of records through multi-row inserts, the latest attempt of an id winning', async () => {
    const store = SqliteStore.open({ file: nextFile() });
    try {
      const batch = Array.from({ length: 60 }, (_, i) => invocation(`id-${String(i).padStart(2, '0')}`, 1_000 + i));
      // Two attempts of one event inside one chunk, the newer first, and one in the tail.
      batch[3] = invocation('retry', 2_000, { status: 'error' });
      batch[7] = invocation('retry', 1_500, { status: 'timeout' });
      batch[58] = invocation('late', 3_000, { status: 'ok' });
      batch[59] = invocation('late', 3_001, { status: 'crashed' });
      await store.insertInvocations(batch);
      assert.equal((await store.getInvocation('retry'))?.status, 'error');
      assert.equal((await store.getInvocation('late'))?.status, 'crashed');
      assert.equal((await store.getInvocation('id-42'))?.startedAt, 1_042);
      assert.equal((await store.listInvocations({ app: 'shop', function: 'cart', limit: 1000 })).length, 58);
    } finally {
      await store.close();
    }
  });

  it('keeps everything across close and reopen', async () => {
    const file = nextFile();
    const first = SqliteStore.open({ file, clock: () => 1_000 });
    await first.deployApp('shop', [fn('cart', 'a'), fn('pay', 'p')]);
    await first.deployApp('shop', [fn('cart', 'b'), fn('pay', 'p')]);
    await first.setActiveVersion('shop', 'cart', 1);
    await first.appendLogs([log('hi', { ts: 5 })]);
    await first.close();

    const second = SqliteStore.open({ file, clock: () => 2_000 });
    try {
      const cart = await second.getFunction('shop', 'cart');
      assert.deepEqual([cart?.activeVersion, cart?.latestVersion], [1, 2]);
      assert.equal(await second.getCode(cart?.active.codeHash ?? ''), 'a');
      assert.deepEqual(
        (await second.listFunctions('shop')).map((f) => f.name),
        ['cart', 'pay'],
      );
      const { lines } = await second.queryLogs({ app: 'shop', function: 'cart' });
      assert.deepEqual(
        lines.map((l) => [l.seq, l.line]),
        [[1, 'hi']],
      );
      const result = await second.deployApp('shop', [fn('cart', 'c'), fn('pay', 'p')]);
      assert.deepEqual(result.functions[0], { name: 'cart', version: 3, created: true });
    } finally {
      await second.close();
    }
  });

  it('leaves the previous state untouched when a deploy fails midway', async () => {
    const store = SqliteStore.open({ file: nextFile(), clock: () => 1_000 });
    try {
      await store.deployApp('shop', [fn('cart', 'a'), fn('pay', 'p'), fn('admin', 'x')]);
      const before = { functions: await store.listFunctions(), apps: await store.listApps() };
      // The second function breaks the NOT NULL on versions.hash after the first one's writes.
      const broken = { ...fn('new', 'n'), hash: null as unknown as string };
      await assert.rejects(store.deployApp('shop', [fn('cart', 'changed'), broken]), /NOT NULL/);
      assert.deepEqual(await store.listFunctions(), before.functions);
      assert.deepEqual(await store.listApps(), before.apps);
      assert.deepEqual(
        (await store.listVersions('shop', 'cart')).map((v) => v.version),
        [1],
      );
      assert.equal(await store.getCode(fn('cart', 'changed').codeHash), undefined);
      assert.equal(await store.getCode(fn('admin', 'x').codeHash), 'x');
    } finally {
      await store.close();
    }
  });

  it('migrates a new file to the newest schema and refuses a newer one', async () => {
    const file = nextFile();
    await SqliteStore.open({ file }).close();
    const db = new Database(file);
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    assert.throws(
      () => SqliteStore.open({ file }),
      (err: unknown) => {
        assert.ok(err instanceof Error && err.message.includes('upgrade Nimbus'));
        return true;
      },
    );
  });
});

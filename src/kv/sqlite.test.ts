import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { FakeClock } from '../shared/clock.js';
import { buildLegacyDatabase } from '../store/legacy-migrations.js';
import { SqliteStore } from '../store/sqlite.js';
import { kvContract } from './contract.js';
import { MAX_KV_KEY_BYTES, MAX_KV_VALUE_BYTES } from './port.js';
import { BINDING_LIMITS } from '../sandbox/protocol.js';
import { SqliteKvStore } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'nimbus-kv-'));
let files = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

kvContract('SqliteKvStore (file)', (clock, o) => SqliteKvStore.open({ file: join(dir, `kv-${++files}.db`), clock, sweepMs: 0, ...o }));
kvContract('SqliteKvStore (:memory:)', (clock, o) => SqliteKvStore.open({ file: ':memory:', clock, sweepMs: 0, ...o }));

describe('SqliteKvStore', () => {
  it('shares the node database file with the store, on its own connection, and survives a reopen', async () => {
    const file = join(dir, 'shared.db');
    const store = SqliteStore.open({ file });
    const clock = new FakeClock(5_000);
    const kv = SqliteKvStore.open({ file, clock, sweepMs: 0 });
    await kv.put('sessions', 'u1', 'alive', { ttlSeconds: 60 });
    await kv.close();
    await store.close();
    const again = SqliteKvStore.open({ file, clock, sweepMs: 0 });
    try {
      assert.equal(await again.get('sessions', 'u1'), 'alive');
    } finally {
      await again.close();
    }
  });

  it('keeps usage across a reopen, counted from the data a pre-quota database already held', async () => {
    const file = join(dir, 'usage.db');
    const old = new Database(file);
    buildLegacyDatabase(old, 3);
    old.prepare("INSERT INTO kv (namespace, key, value) VALUES ('shop/a', 'k', 'hello'), ('shop/b', 'é', 'x'), ('blog/a', 'k', 'v')").run();
    old.close();
    const kv = SqliteKvStore.open({ file, sweepMs: 0, quotaBytes: 20 });
    assert.equal(await kv.usage('shop'), 6 + 3);
    await kv.put('shop/a', 'k2', 'abc');
    await kv.close();
    const again = SqliteKvStore.open({ file, sweepMs: 0, quotaBytes: 20 });
    try {
      assert.equal(await again.usage('shop'), 14);
      await assert.rejects(again.put('shop/a', 'big', 'x'.repeat(10)), { code: 'QUOTA_EXCEEDED' });
    } finally {
      await again.close();
    }
  });

  it('the sweep really deletes expired rows', async () => {
    const file = join(dir, 'sweep.db');
    const clock = new FakeClock(0);
    const kv = SqliteKvStore.open({ file, clock, sweepMs: 0 });
    for (let i = 0; i < 2500; i++) await kv.put('s', `k${i}`, 'v', { ttlSeconds: 1 });
    await kv.put('s', 'keep', 'v');
    clock.advance(1_000);
    assert.equal(kv.sweep(), 2500);
    await kv.close();
    const db = new Database(file, { readonly: true });
    assert.equal(db.prepare('SELECT count(*) FROM kv').pluck().get(), 1);
    db.close();
  });

  it('limits the sandbox checks first are the ones the host enforces', () => {
    assert.equal(BINDING_LIMITS.kvKeyBytes, MAX_KV_KEY_BYTES);
    assert.equal(BINDING_LIMITS.kvValueBytes, MAX_KV_VALUE_BYTES);
  });
});

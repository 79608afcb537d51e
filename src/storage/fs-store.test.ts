import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { FakeQueue, objectStoreContract, subscriber } from './contract.js';
import { FsObjectStore } from './fs-store.js';
import { upperBound } from './object-table.js';
import type { BucketDirectory } from './port.js';

/** A fresh data dir and database per test. */
function fixture(): { root: string; db: Database.Database; open: (o: Omit<Parameters<typeof FsObjectStore.open>[0], 'dir' | 'db'>) => FsObjectStore; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'nimbus-fs-store-'));
  // A file of its own: the object tables need nothing else to have opened it.
  const db = new Database(join(root, 'db'));
  return {
    root,
    db,
    open: (o) => FsObjectStore.open({ ...o, dir: join(root, 'buckets'), db }),
    cleanup: () => {
      db.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

objectStoreContract('FsObjectStore', async () => {
  const f = fixture();
  return { open: async (deps) => f.open(deps), cleanup: async () => f.cleanup() };
});

describe('FsObjectStore files', () => {
  let f: ReturnType<typeof fixture>;
  const subs = [subscriber('all')];
  const buckets: BucketDirectory = { bucket: (name) => (name === 'uploads' ? { app: 'media', subscribers: subs } : undefined) };
  const open = () => f.open({ buckets, queue: new FakeQueue() });
  beforeEach(() => {
    f = fixture();
  });
  afterEach(() => f.cleanup());

  it('replacing an object leaves one file; orphans and temp files are swept at start-up', async () => {
    const a = open();
    await a.put('uploads', 'k', Buffer.from('one'));
    await a.put('uploads', 'k', Buffer.from('two'));
    await a.close();
    const dir = join(f.root, 'buckets', 'uploads');
    assert.equal(readdirSync(dir).length, 1);
    writeFileSync(join(dir, 'orphan'), 'x');
    writeFileSync(join(dir, '.tmp-123'), 'x');
    const b = open();
    assert.deepEqual(readdirSync(dir).length, 1);
    assert.ok(!existsSync(join(dir, 'orphan')));
    assert.equal((await b.get('uploads', 'k'))?.body.toString(), 'two');
    await b.close();
  });

  it('keeps keys with "..", "/" and unicode inside the bucket directory; a refused put leaves no file', async () => {
    const s = FsObjectStore.open({ buckets, queue: new FakeQueue(), dir: join(f.root, 'buckets'), db: f.db, quotaBytes: 100 });
    for (const key of ['../../escape', 'a/../../b', '..\\x', 'é/😀']) await s.put('uploads', key, Buffer.from(key));
    assert.deepEqual(readdirSync(f.root).sort(), ['buckets', 'db', 'db-shm', 'db-wal'].filter((n) => existsSync(join(f.root, n))).sort());
    assert.deepEqual(readdirSync(join(f.root, 'buckets')), ['uploads']);
    await assert.rejects(s.put('uploads', 'big', Buffer.alloc(100)), { code: 'QUOTA_EXCEEDED' });
    assert.equal(readdirSync(join(f.root, 'buckets', 'uploads')).length, 4, 'no file of the refused put is left');
    await s.close();
  });

  it('upperBound carries past the last code point and skips surrogates', () => {
    assert.equal(upperBound('ab'), 'ac');
    assert.equal(upperBound(''), null);
    assert.equal(upperBound('a\u{10FFFF}'), 'b');
    assert.equal(upperBound('\u{D7FF}'), '\u{E000}');
  });
});

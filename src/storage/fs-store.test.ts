import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { BucketTrigger, FunctionVersion } from '../domain/index.js';
import type { EnqueueResult, NewEvent } from '../queue/port.js';
import { migrate } from '../store/migrations.js';
import { FsObjectStore, type BucketDirectory } from './fs-store.js';
import { upperBound } from './object-table.js';

class Queue {
  events: NewEvent[] = [];
  keys = new Set<string>();
  fail = false;
  async enqueue(events: NewEvent[]): Promise<EnqueueResult[]> {
    if (this.fail) throw new Error('down');
    return events.map((e) => {
      const duplicate = this.keys.has(e.idempotencyKey ?? e.id);
      if (!duplicate) this.events.push(e);
      this.keys.add(e.idempotencyKey ?? e.id);
      return { id: e.id, duplicate };
    });
  }
}

function subscriber(name: string, trigger: Partial<BucketTrigger> = {}): { fn: FunctionVersion; trigger: BucketTrigger } {
  const fn = { app: 'media', name, version: 1, config: { retries: 1, maxEventAge: 60 } } as unknown as FunctionVersion;
  return { fn, trigger: { type: 'bucket', bucket: 'uploads', events: ['created', 'deleted'], prefix: '', ...trigger } };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check());
};

describe('FsObjectStore', () => {
  let root: string;
  let db: Database.Database;
  let queue: Queue;
  let subs: ReturnType<typeof subscriber>[];
  const buckets: BucketDirectory = { bucket: (name) => (name === 'uploads' ? { app: 'media', subscribers: subs } : undefined) };
  const open = (quotaBytes?: number) => FsObjectStore.open({ dir: join(root, 'buckets'), db, buckets, queue, ...(quotaBytes === undefined ? {} : { quotaBytes }) });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nimbus-fs-store-'));
    db = new Database(join(root, 'db'));
    migrate(db);
    queue = new Queue();
    subs = [subscriber('all'), subscriber('images', { prefix: 'images/', events: ['created'] })];
  });
  afterEach(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('filters by suffix as well as prefix (S3 suffix rules)', async () => {
    subs = [subscriber('jpegs', { prefix: 'in/', suffix: '.jpg', events: ['created'] })];
    const s = open();
    for (const key of ['in/a.png', 'out/b.jpg', 'in/c.jpg']) await s.put('uploads', key, Buffer.from('x'));
    await until(() => queue.events.length === 1);
    assert.deepEqual(
      queue.events.map((e) => (e.payload as { key: string }).key),
      ['in/c.jpg'],
    );
    await s.close();
  });

  it('emits created and deleted events to matching subscribers, with key, size, etag and content type', async () => {
    const s = open();
    const info = await s.put('uploads', 'images/cat.png', Buffer.from('meow'), 'image/png');
    assert.equal(info.etag, '"4a4be40c96ac6314e91d93f38043a634"');
    await until(() => queue.events.length === 2);
    assert.deepEqual(queue.events.map((e) => e.target.function).sort(), ['all', 'images']);
    assert.deepEqual(queue.events[0]!.payload, { type: 'created', bucket: 'uploads', key: 'images/cat.png', size: 4, etag: info.etag, contentType: 'image/png' });
    assert.equal(queue.events[0]!.source, 'bucket');
    assert.equal(queue.events[0]!.shape, 'queue');
    assert.equal(queue.events[0]!.origin, 'uploads');
    assert.equal(queue.events[0]!.maxAttempts, 2);
    await s.put('uploads', 'docs/a.txt', Buffer.from('a'));
    assert.equal(await s.delete('uploads', 'images/cat.png'), true);
    assert.equal(await s.delete('uploads', 'images/cat.png'), false);
    await until(() => queue.events.length === 4);
    assert.deepEqual(
      queue.events.slice(2).map((e) => [e.target.function, (e.payload as { type: string }).type, (e.payload as { key: string }).key]),
      [
        ['all', 'created', 'docs/a.txt'],
        ['all', 'deleted', 'images/cat.png'],
      ],
    );
    await s.close();
  });

  it('keeps events in the outbox while the queue is down and moves them at the next start', async () => {
    queue.fail = true;
    const a = open();
    await a.put('uploads', 'x', Buffer.from('1'));
    await a.close();
    assert.equal(queue.events.length, 0);
    queue.fail = false;
    const b = open();
    await until(() => queue.events.length === 1);
    await b.close();
    // Moved once: a third start finds the outbox empty.
    const c = open();
    await c.close();
    assert.equal(queue.events.length, 1);
  });

  it('replacing an object leaves one file; orphans and temp files are swept at start-up', async () => {
    const a = open();
    await a.put('uploads', 'k', Buffer.from('one'));
    await a.put('uploads', 'k', Buffer.from('two'));
    await a.close();
    const dir = join(root, 'buckets', 'uploads');
    assert.equal(readdirSync(dir).length, 1);
    writeFileSync(join(dir, 'orphan'), 'x');
    writeFileSync(join(dir, '.tmp-123'), 'x');
    const b = open();
    assert.deepEqual(readdirSync(dir).length, 1);
    assert.ok(!existsSync(join(dir, 'orphan')));
    assert.equal((await b.get('uploads', 'k'))?.body.toString(), 'two');
    await b.close();
  });

  it('stores keys with "..", "/" and unicode inside the bucket directory only', async () => {
    const s = open();
    for (const key of ['../../escape', 'a/../../b', '..\\x', 'é/😀']) {
      await s.put('uploads', key, Buffer.from(key));
      assert.equal((await s.get('uploads', key))?.body.toString(), key);
    }
    assert.deepEqual(readdirSync(root).sort(), ['buckets', 'db', 'db-shm', 'db-wal'].filter((f) => existsSync(join(root, f))).sort());
    assert.deepEqual(readdirSync(join(root, 'buckets')), ['uploads']);
    await assert.rejects(s.put('uploads', '..', Buffer.from('')), { code: 'BAD_REQUEST' });
    await assert.rejects(s.put('nope', 'k', Buffer.from('')), { code: 'BUCKET_NOT_FOUND' });
    await s.close();
  });

  it('lists by key with a prefix and a cursor', async () => {
    const s = open();
    const keys = ['a', 'a/1', 'a/2', 'a/3', 'a0', 'b', 'f', 'é', 'éa']; // code point order
    for (const k of keys) await s.put('uploads', k, Buffer.from(k));
    const p1 = await s.list('uploads', { prefix: 'a/', limit: 2 });
    assert.deepEqual(
      p1.objects.map((o) => o.key),
      ['a/1', 'a/2'],
    );
    const p2 = await s.list('uploads', { prefix: 'a/', limit: 2, cursor: p1.cursor! });
    assert.deepEqual(
      p2.objects.map((o) => o.key),
      ['a/3'],
    );
    assert.equal(p2.cursor, null);
    assert.deepEqual(
      (await s.list('uploads', { prefix: 'é' })).objects.map((o) => o.key),
      ['é', 'éa'],
    );
    assert.deepEqual(
      (await s.list('uploads')).objects.map((o) => o.key),
      keys,
    );
    await s.close();
  });

  it("counts each app's object bytes; a put over its quota is QUOTA_EXCEEDED and leaves nothing behind; deletes, replaces and purges give room back; usage survives a reopen", async () => {
    const s = open(100);
    await s.put('uploads', 'a', Buffer.alloc(60));
    await assert.rejects(s.put('uploads', 'b', Buffer.alloc(41)), { code: 'QUOTA_EXCEEDED' });
    assert.equal(await s.head('uploads', 'b'), undefined);
    assert.deepEqual(readdirSync(join(root, 'buckets', 'uploads')).length, 1, 'no file of the refused put is left');
    await s.put('uploads', 'b', Buffer.alloc(40));
    assert.equal(s.usage('media'), 100);
    await s.put('uploads', 'a', Buffer.alloc(10)); // replacing counts the difference
    assert.equal(s.usage('media'), 50);
    assert.equal(await s.delete('uploads', 'b'), true);
    assert.equal(s.usage('media'), 10);
    await s.close();
    const again = open(100);
    assert.equal(again.usage('media'), 10);
    await again.put('uploads', 'c', Buffer.alloc(90));
    await assert.rejects(again.put('uploads', 'd', Buffer.alloc(1)), { code: 'QUOTA_EXCEEDED' });
    assert.equal(await again.purge('media', 'uploads'), 2);
    assert.equal(again.usage('media'), 0);
    await again.close();
  });

  it('upperBound carries past the last code point and skips surrogates', () => {
    assert.equal(upperBound('ab'), 'ac');
    assert.equal(upperBound(''), null);
    assert.equal(upperBound('a\u{10FFFF}'), 'b');
    assert.equal(upperBound('\u{D7FF}'), '\u{E000}');
  });
});

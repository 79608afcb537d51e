/**
 * The one contract every BucketStore runs (fs-store.test.ts: files + SQLite; pg.test.ts:
 * PostgreSQL). `make` gives a fresh, empty backing store per test; `open` may be called several
 * times on it, as a node restarting on the same data would.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { BucketTrigger, FunctionVersion } from '../domain/index.js';
import type { EnqueueResult, NewEvent } from '../queue/port.js';
import { MAX_OBJECT_BYTES, type BucketDirectory, type BucketStore, type BucketStoreDeps } from './port.js';

export interface ObjectStoreFixture {
  /** Open a store on this fixture's data (again: a restart). The suite closes what it opens. */
  open(deps: BucketStoreDeps): Promise<BucketStore>;
  /** Remove the data. */
  cleanup(): Promise<void>;
}

/** A queue that keeps what it accepted, deduplicating by idempotency key as the real ones do. */
export class FakeQueue {
  events: NewEvent[] = [];
  /** Every key ever passed to enqueue, duplicates included. */
  offered: string[] = [];
  keys = new Set<string>();
  fail = false;
  async enqueue(events: NewEvent[]): Promise<EnqueueResult[]> {
    if (this.fail) throw new Error('down');
    return events.map((e) => {
      const key = e.idempotencyKey ?? e.id;
      this.offered.push(key);
      const duplicate = this.keys.has(key);
      if (!duplicate) this.events.push(e);
      this.keys.add(key);
      return { id: e.id, duplicate };
    });
  }
}

export function subscriber(name: string, trigger: Partial<BucketTrigger> = {}): { fn: FunctionVersion; trigger: BucketTrigger } {
  const fn = { app: 'media', name, version: 1, config: { retries: 1, maxEventAge: 60 } } as unknown as FunctionVersion;
  return { fn, trigger: { type: 'bucket', bucket: 'uploads', events: ['created', 'deleted'], prefix: '', ...trigger } };
}

export const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check());
};

/** `total` bytes in pieces of uneven sizes (a network body), byte i being i % 251. */
async function* uneven(total: number): AsyncGenerator<Uint8Array> {
  for (let off = 0, n = 0; off < total; n++) {
    const len = Math.min(total - off, 1 + ((n * 7919) % 300_000));
    const piece = Buffer.alloc(len);
    for (let i = 0; i < len; i++) piece[i] = (off + i) % 251;
    yield piece;
    off += len;
  }
}

export function objectStoreContract(name: string, make: () => Promise<ObjectStoreFixture>): void {
  describe(`BucketStore contract: ${name}`, () => {
    let fixture: ObjectStoreFixture;
    let queue: FakeQueue;
    let subs: ReturnType<typeof subscriber>[];
    const opened: BucketStore[] = [];
    const buckets: BucketDirectory = { bucket: (n) => (n === 'uploads' ? { app: 'media', subscribers: subs } : undefined) };
    const open = async (quotaBytes?: number) => {
      const s = await fixture.open({ buckets, queue, ...(quotaBytes === undefined ? {} : { quotaBytes }) });
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      fixture = await make();
      queue = new FakeQueue();
      subs = [subscriber('all'), subscriber('images', { prefix: 'images/', events: ['created'] })];
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
      await fixture.cleanup();
    });

    it('gets, heads and deletes what was put; an overwrite replaces it', async () => {
      const s = await open();
      assert.equal(await s.get('uploads', 'k'), undefined);
      await s.put('uploads', 'k', Buffer.from('one'), 'text/plain');
      const two = await s.put('uploads', 'k', Buffer.from('three'));
      const got = await s.get('uploads', 'k');
      assert.equal(got?.body.toString(), 'three');
      assert.deepEqual(got?.info, two);
      assert.equal(two.contentType, 'application/octet-stream');
      assert.deepEqual(await s.head('uploads', 'k'), two);
      assert.equal(await s.delete('uploads', 'k'), true);
      assert.equal(await s.head('uploads', 'k'), undefined);
      assert.equal(await s.openRead('uploads', 'k'), undefined);
    });

    it('filters by suffix as well as prefix (S3 suffix rules)', async () => {
      subs = [subscriber('jpegs', { prefix: 'in/', suffix: '.jpg', events: ['created'] })];
      const s = await open();
      for (const key of ['in/a.png', 'out/b.jpg', 'in/c.jpg']) await s.put('uploads', key, Buffer.from('x'));
      await s.outboxDrained();
      await until(() => queue.events.length === 1);
      assert.deepEqual(
        queue.events.map((e) => (e.payload as { key: string }).key),
        ['in/c.jpg'],
      );
    });

    it('emits created and deleted events to matching subscribers, with key, size, etag and content type', async () => {
      const s = await open();
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
      await until(() => queue.events.length === 3);
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
    });

    it('keeps events in the outbox while the queue is down and moves them, once, at the next start', async () => {
      queue.fail = true;
      const a = await open();
      await a.put('uploads', 'x', Buffer.from('1'));
      await a.outboxDrained();
      await a.close();
      assert.equal(queue.events.length, 0);
      queue.fail = false;
      const b = await open();
      await until(() => queue.events.length === 1);
      await b.outboxDrained();
      await b.close();
      const c = await open();
      await c.outboxDrained();
      await c.close();
      assert.equal(queue.events.length, 1);
    });

    it('an event enqueued twice (the mover died between the enqueue and the outbox delete) reaches the queue once', async () => {
      const real = queue.enqueue.bind(queue);
      let lost = true;
      queue.enqueue = async (events) => {
        const result = await real(events);
        if (lost) throw new Error('connection lost after the enqueue');
        return result;
      };
      const a = await open();
      await a.put('uploads', 'x', Buffer.from('1'));
      await a.outboxDrained();
      await a.close();
      lost = false;
      const b = await open();
      await b.outboxDrained();
      await until(() => queue.offered.length === 2);
      assert.equal(queue.events.length, 1);
      assert.equal(queue.offered[0], queue.offered[1]);
    });

    it('stores keys with "..", "/" and unicode as they are; refuses bad keys and unknown buckets', async () => {
      const s = await open();
      for (const key of ['../../escape', 'a/../../b', '..\\x', 'é/😀']) {
        await s.put('uploads', key, Buffer.from(key));
        assert.equal((await s.get('uploads', key))?.body.toString(), key);
      }
      await assert.rejects(s.put('uploads', '..', Buffer.from('')), { code: 'BAD_REQUEST' });
      await assert.rejects(s.put('uploads', 'a\0b', Buffer.from('')), { code: 'BAD_REQUEST' });
      await assert.rejects(s.get('uploads', 'x'.repeat(1025)), { code: 'BAD_REQUEST' });
      await assert.rejects(s.put('nope', 'k', Buffer.from('')), { code: 'BUCKET_NOT_FOUND' });
      await assert.rejects(s.list('Bad_Name'), { code: 'BUCKET_NOT_FOUND' });
      await assert.rejects(s.list('uploads', { cursor: '!!' }), { code: 'BAD_REQUEST' });
    });

    it('lists by key (code point order) with a prefix and a cursor', async () => {
      const s = await open();
      const keys = ['a', 'a/1', 'a/2', 'a/3', 'a0', 'b', 'f', 'é', 'éa', '😀'];
      for (const k of [...keys].reverse()) await s.put('uploads', k, Buffer.from(k));
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
      assert.equal((await s.list('uploads', { limit: 3 })).objects.length, 3);
    });

    it("counts each app's bytes; a put over the quota is QUOTA_EXCEEDED and leaves nothing; deletes, replaces and purges give room back; usage survives a reopen", async () => {
      const s = await open(100);
      await s.put('uploads', 'a', Buffer.alloc(60));
      await assert.rejects(s.put('uploads', 'b', Buffer.alloc(41)), { code: 'QUOTA_EXCEEDED' });
      await assert.rejects(s.putStream('uploads', 'b', uneven(41)), { code: 'QUOTA_EXCEEDED' });
      assert.equal(await s.head('uploads', 'b'), undefined);
      await s.put('uploads', 'b', Buffer.alloc(40));
      assert.equal(await s.usage('media'), 100);
      await s.put('uploads', 'a', Buffer.alloc(10));
      assert.equal(await s.usage('media'), 50);
      assert.equal(await s.delete('uploads', 'b'), true);
      assert.equal(await s.usage('media'), 10);
      assert.deepEqual(await s.stats(), new Map([['uploads', { objects: 1, bytes: 10 }]]));
      await s.close();
      const again = await open(100);
      assert.equal(await again.usage('media'), 10);
      await again.put('uploads', 'c', Buffer.alloc(90));
      await assert.rejects(again.put('uploads', 'd', Buffer.alloc(1)), { code: 'QUOTA_EXCEEDED' });
      assert.equal(await again.purge('media', 'uploads'), 2);
      assert.equal(await again.usage('media'), 0);
      assert.equal(await again.usage('other'), 0);
      assert.deepEqual(await again.stats(), new Map());
      assert.equal((await again.list('uploads')).objects.length, 0);
    });

    it("keeps a bucket's objects with the app that wrote them: a later owner of the name sees an empty bucket", async () => {
      const s = await open();
      await s.put('uploads', 'k', Buffer.from('media'));
      let owner = 'media';
      const moved: BucketDirectory = { bucket: (n) => (n === 'uploads' ? { app: owner, subscribers: [] } : undefined) };
      const t = await fixture.open({ buckets: moved, queue });
      opened.push(t);
      owner = 'blog';
      assert.equal(await t.get('uploads', 'k'), undefined);
      assert.deepEqual((await t.list('uploads')).objects, []);
      assert.deepEqual(await t.stats(), new Map());
      assert.equal(await t.purge('blog', 'uploads'), 0);
      owner = 'media';
      assert.equal((await t.get('uploads', 'k'))?.body.toString(), 'media');
    });

    it('streams a large object in and out byte for byte; refuses one over the cap', async () => {
      const s = await open();
      const size = 5 * 1024 * 1024 + 12345;
      const info = await s.putStream('uploads', 'big', uneven(size), 'application/x-big', size);
      const hash = createHash('md5');
      for await (const piece of uneven(size)) hash.update(piece);
      assert.equal(info.etag, `"${hash.digest('hex')}"`);
      assert.equal(info.size, size);
      const read = await s.openRead('uploads', 'big');
      assert.deepEqual(read?.info, info);
      const back = createHash('md5');
      let got = 0;
      for await (const piece of read.body) {
        back.update(piece as Buffer);
        got += (piece as Buffer).length;
      }
      assert.equal(got, size);
      assert.equal(`"${back.digest('hex')}"`, info.etag);
      assert.equal((await s.get('uploads', 'big'))?.body.length, size);
      await assert.rejects(s.putStream('uploads', 'huge', uneven(1), undefined, MAX_OBJECT_BYTES + 1), { code: 'VALUE_TOO_LARGE' });
      const mb = Buffer.alloc(1024 * 1024, 7);
      const tooBig = async function* () {
        for (let i = 0; i <= MAX_OBJECT_BYTES / mb.length; i++) yield mb;
      };
      await assert.rejects(s.putStream('uploads', 'huge', tooBig()), { code: 'VALUE_TOO_LARGE' });
      assert.equal(await s.head('uploads', 'huge'), undefined);
      assert.equal(await s.usage('media'), size);
    });

    it('an empty object round-trips', async () => {
      const s = await open();
      const info = await s.put('uploads', 'empty', Buffer.alloc(0));
      assert.equal(info.size, 0);
      assert.equal((await s.get('uploads', 'empty'))?.body.length, 0);
      const read = await s.openRead('uploads', 'empty');
      let n = 0;
      for await (const piece of read!.body) n += (piece as Buffer).length;
      assert.equal(n, 0);
    });
  });
}

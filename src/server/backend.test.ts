import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteKvStore } from '../kv/index.js';
import { SqliteEventQueue } from '../queue/index.js';
import { SqliteSecretStore } from '../secrets/index.js';
import { FsObjectStore, openDatabase, type BucketDirectory, type BucketStore } from '../storage/index.js';
import { SqliteFunctionMetrics, SqliteStore, type FunctionMetricPoint } from '../store/index.js';
import { buildLegacyDatabase } from '../store/legacy-migrations.js';
import { MIGRATIONS } from '../store/migrations.js';
import { SqliteScheduleState } from '../triggers/index.js';
import { openBackend, type Backend } from './backend.js';

const root = mkdtempSync(join(tmpdir(), 'nimbus-backend-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => {
  const dir = join(root, `d${++dirs}`);
  mkdirSync(dir);
  return dir;
};

const buckets: BucketDirectory = { bucket: (name) => (name === 'uploads' ? { app: 'shop', subscribers: [] } : undefined) };
const point = (ts: number, value: number): FunctionMetricPoint => ({
  app: 'shop',
  function: 'checkout',
  version: 1,
  invocationId: null,
  ts,
  namespace: 'shop',
  name: 'latency',
  unit: 'Milliseconds',
  value,
  dimensions: {},
});

/** Every table and index of a file, its SQL with whitespace collapsed (sqlite_master drops IF NOT EXISTS). */
function schemaOf(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare<[], { sql: string }>('SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name').all();
    return rows.map((r) => r.sql.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')'));
  } finally {
    db.close();
  }
}

const tablesOf = (db: Database.Database) => db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence' ORDER BY name").pluck().all();

async function withBackend<T>(dataDir: string, fn: (b: Backend, objects: BucketStore) => Promise<T>): Promise<T> {
  const backend = await openBackend({ kind: 'sqlite' }, { dataDir, log: () => {} });
  const objects = await backend.openObjects({ buckets, queue: backend.queue, log: () => {} });
  try {
    return await fn(backend, objects);
  } finally {
    await objects.close();
    await backend.close();
  }
}

describe('sqlite backend: each adapter owns its schema', () => {
  it('upgrades a data dir made when the store created every table, with nothing lost', async () => {
    const dataDir = freshDir();
    const file = join(dataDir, 'nimbus.db');
    // What the previous Nimbus left: its full store migration list, and rows its adapters wrote.
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    buildLegacyDatabase(old);
    old.exec(`
      INSERT INTO apps (name, created_at, updated_at) VALUES ('shop', 1, 1);
      INSERT INTO kv (namespace, key, value, expires_at) VALUES ('shop/cache', 'k', 'hello', NULL), ('shop/cache', 't', 'ttl', 9000000000000);
      INSERT INTO objects (app, bucket, key, file, size, etag, content_type, uploaded_at) VALUES ('shop', 'uploads', 'a.txt', 'f1', 5, 'e1', 'text/plain', 1000);
      INSERT INTO storage_usage (app, kind, bytes) VALUES ('shop', 'kv', 12), ('shop', 'bucket', 5);
      INSERT INTO schedule_state (key, handled_until) VALUES ('shop/tick/0', 12345);
      INSERT INTO function_metrics (app, function, version, invocation_id, ts, namespace, name, unit, value, dimensions)
        VALUES ('shop', 'checkout', 1, NULL, 1000, 'shop', 'latency', 'Milliseconds', 7, '{}');
    `);
    old.close();
    mkdirSync(join(dataDir, 'buckets', 'uploads'), { recursive: true });
    writeFileSync(join(dataDir, 'buckets', 'uploads', 'f1'), 'hello');

    await withBackend(dataDir, async (b, objects) => {
      assert.deepEqual(
        (await b.store.listApps()).map((a) => a.app),
        ['shop'],
      );
      assert.equal(await b.kv.get('shop/cache', 'k'), 'hello');
      assert.equal(await b.kv.get('shop/cache', 't'), 'ttl');
      assert.equal(await b.kv.usage('shop'), 12, 'the running total is kept, not counted again');
      await b.kv.put('shop/cache', 'n', 'abc');
      assert.equal(await b.kv.usage('shop'), 16);
      assert.equal((await objects.get('uploads', 'a.txt'))?.body.toString(), 'hello');
      assert.equal(await objects.usage('shop'), 5);
      await objects.put('uploads', 'b.txt', Buffer.from('world!'));
      assert.equal(await objects.usage('shop'), 11);
      assert.equal(b.scheduleState.get('shop/tick/0'), 12345);
      b.scheduleState.set('shop/tick/0', 23456);
      assert.equal((await b.functionMetrics.summary({ app: 'shop', function: 'checkout', since: 0 }))[0]?.count, 1);
      await b.functionMetrics.append([point(2000, 9)]);
    });

    // Reopened: what was written after the upgrade is there, and no migration runs twice.
    await withBackend(dataDir, async (b, objects) => {
      assert.equal(await b.kv.get('shop/cache', 'n'), 'abc');
      assert.equal(await b.kv.usage('shop'), 16);
      assert.equal((await objects.get('uploads', 'b.txt'))?.body.toString(), 'world!');
      assert.equal(await objects.usage('shop'), 11);
      assert.equal(b.scheduleState.get('shop/tick/0'), 23456);
      assert.deepEqual(
        (await b.functionMetrics.summary({ app: 'shop', function: 'checkout', since: 0 })).map((s) => [s.count, s.last]),
        [[2, 9]],
      );
    });
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.deepEqual(db.prepare('SELECT component, version FROM nimbus_migrations ORDER BY component').all(), [
      { component: 'function_metrics', version: 1 },
      { component: 'kv', version: 1 },
      { component: 'objects', version: 1 },
      { component: 'schedule_state', version: 1 },
      { component: 'storage_usage', version: 1 },
    ]);
    db.close();

    // The adopted tables are the ones a new data dir gets.
    const fresh = freshDir();
    await withBackend(fresh, async () => {});
    assert.deepEqual(schemaOf(file), schemaOf(join(fresh, 'nimbus.db')));
  });

  it('opens each adapter alone on a fresh file, creating only its own tables', async () => {
    const dir = freshDir();
    const kv = SqliteKvStore.open({ file: join(dir, 'kv.db'), sweepMs: 0 });
    await kv.put('shop/a', 'k', 'v');
    assert.equal(await kv.get('shop/a', 'k'), 'v');
    await kv.close();
    const kvDb = openDatabase(join(dir, 'kv.db'));
    assert.deepEqual(tablesOf(kvDb), ['kv', 'nimbus_migrations', 'storage_usage']);
    kvDb.close();

    const objDb = openDatabase(join(dir, 'objects.db'));
    const objects = FsObjectStore.open({ dir: join(dir, 'buckets'), db: objDb, buckets, queue: { enqueue: async () => [] } });
    await objects.put('uploads', 'x', Buffer.from('1'));
    assert.equal((await objects.get('uploads', 'x'))?.body.toString(), '1');
    await objects.close();
    assert.deepEqual(tablesOf(objDb), ['bucket_outbox', 'nimbus_migrations', 'objects', 'storage_usage']);
    objDb.close();

    const triggersDb = openDatabase(join(dir, 'schedule.db'));
    new SqliteScheduleState(triggersDb).set('k', 1);
    assert.equal(new SqliteScheduleState(triggersDb).get('k'), 1);
    assert.deepEqual(tablesOf(triggersDb), ['nimbus_migrations', 'schedule_state']);
    triggersDb.close();

    const metrics = new SqliteFunctionMetrics(openDatabase(join(dir, 'metrics.db')));
    await metrics.append([point(1, 1)]);
    assert.equal((await metrics.points({ app: 'shop', function: 'checkout', name: 'latency', since: 0, limit: 10 })).length, 1);
    metrics.close();
  });

  it('opens the adapters in any order on one file', async () => {
    const dataDir = freshDir();
    const file = join(dataDir, 'nimbus.db');
    // The reverse of the backend's order: the store last.
    const db = openDatabase(file);
    const objects = FsObjectStore.open({ dir: join(dataDir, 'buckets'), db, buckets, queue: { enqueue: async () => [] } });
    await objects.put('uploads', 'x', Buffer.from('1'));
    const kv = SqliteKvStore.open({ file, sweepMs: 0 });
    await kv.put('shop/a', 'k', 'v');
    new SqliteScheduleState(db).set('k', 1);
    const metrics = new SqliteFunctionMetrics(openDatabase(file));
    await metrics.append([point(1, 1)]);
    const queue = SqliteEventQueue.open({ file });
    const secrets = SqliteSecretStore.open({ file });
    const store = SqliteStore.open({ file });
    for (const c of [objects, kv, metrics, queue, secrets, store]) await c.close();
    db.close();

    await withBackend(dataDir, async (b, o) => {
      assert.equal(await b.kv.get('shop/a', 'k'), 'v');
      assert.equal(b.scheduleState.get('k'), 1);
      assert.equal((await o.get('uploads', 'x'))?.body.toString(), '1');
      assert.equal(await b.kv.usage('shop'), 2);
      assert.equal(await o.usage('shop'), 1);
    });
    const fresh = freshDir();
    await withBackend(fresh, async () => {});
    assert.deepEqual(schemaOf(file), schemaOf(join(fresh, 'nimbus.db')));
  });
});

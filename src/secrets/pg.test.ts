import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../pg/testing.js';
import { secretStoreContract } from './contract.js';
import { PgSecretStore } from './pg.js';

const target = await pgTestTarget(process.env);

describe('PgSecretStore', { skip: 'skip' in target ? target.skip : false }, () => {
  let db: PgTestSchema;
  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
  });
  after(async () => db?.drop());

  // Each store of the contract starts empty.
  secretStoreContract('PgSecretStore', async () => {
    const store = await PgSecretStore.open({ pool: db.pool });
    await db.pool.query('TRUNCATE secrets, secrets_meta');
    return store;
  });

  it('a second node sees what the first wrote, and both open the schema once', async () => {
    const [a, b] = await Promise.all([PgSecretStore.open({ pool: db.pool }), PgSecretStore.open({ pool: await db.openPool() })]);
    await a.put({ app: 'shop', name: 'db', sealed: { iv: 'i', data: 'd', tag: 't' }, updatedAt: 5 });
    assert.equal((await b.get('shop', 'db'))?.updatedAt, 5);
    const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM nimbus_migrations WHERE component = 'secrets'");
    assert.equal(rows[0]!.n, 1);
    await a.close();
    await b.close();
  });
});

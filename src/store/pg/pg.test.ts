/** The Store contract suites (store, keys, rollups, aliases) against PostgreSQL, one schema for the file. */
import { after, before, describe } from 'node:test';
import { createTestSchema, pgTestTarget, type PgTestSchema } from '../../pg/testing.js';
import { storeContract } from '../contract.js';
import { PgStore } from './index.js';
import { STORE_TABLES } from './schema.js';

const target = await pgTestTarget(process.env);

describe('PgStore', { skip: 'skip' in target ? target.skip : false }, () => {
  let db: PgTestSchema;
  before(async () => {
    db = await createTestSchema((target as { url: string }).url);
  });
  after(async () => db?.drop());

  // Every case starts from empty tables (partitions stay; they are created on demand anyway).
  storeContract('PgStore', async (clock) => {
    const store = await PgStore.open({ pool: db.pool, clock });
    await db.pool.query(`TRUNCATE ${STORE_TABLES.join(', ')}`);
    return store;
  });
});

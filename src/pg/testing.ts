/**
 * PostgreSQL for tests: each test file gets a schema of its own in the server's database and drops
 * it at the end, so suites never see each other's rows. Tests read the environment themselves and
 * pass it in (only entry points read process.env):
 *   NIMBUS_TEST_PG           the server (default postgres://postgres@127.0.0.1:5432/test)
 *   NIMBUS_TEST_PG_REQUIRED  "1": an unreachable server fails the run instead of skipping (CI)
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPgPool, type PgPool } from './pool.js';

export const DEFAULT_TEST_PG = 'postgres://postgres@127.0.0.1:5432/test';

export interface PgTestEnv {
  NIMBUS_TEST_PG?: string | undefined;
  NIMBUS_TEST_PG_REQUIRED?: string | undefined;
}

export interface PgTestSchema {
  url: string;
  schema: string;
  /** A pool whose search_path is the schema. */
  pool: PgPool;
  /** Another pool on the same schema (a second node). Closed by `drop`. */
  openPool(o?: { max?: number }): Promise<PgPool>;
  /** Close every pool and drop the schema with everything in it. */
  drop(): Promise<void>;
}

/**
 * Whether tests can reach PostgreSQL: the URL, or a reason to skip. Throws when the server is
 * required (NIMBUS_TEST_PG_REQUIRED=1) and does not answer.
 */
export async function pgTestTarget(env: PgTestEnv): Promise<{ url: string } | { skip: string }> {
  const url = env.NIMBUS_TEST_PG || DEFAULT_TEST_PG;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { url };
  } catch (err) {
    const reason = `PostgreSQL not reachable at ${url} (${(err as Error).message}); set NIMBUS_TEST_PG`;
    if (env.NIMBUS_TEST_PG_REQUIRED === '1') throw new Error(reason);
    return { skip: reason };
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh schema `nimbus_t_<random>` on `url`. */
export async function createTestSchema(url: string): Promise<PgTestSchema> {
  const schema = `nimbus_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const pools: PgPool[] = [];
  const openPool = async (o: { max?: number } = {}) => {
    const p = await openPgPool({ url, schema, max: o.max ?? 5, applicationName: `nimbus test ${schema}` });
    pools.push(p);
    return p;
  };
  const pool = await openPool();
  return {
    url,
    schema,
    pool,
    openPool,
    drop: async () => {
      await Promise.all(pools.map((p) => p.end().catch(() => {})));
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh database `nimbus_e2e_<random>` (end-to-end tests: nodes connect by URL). Returns its URL and a drop. */
export async function createTestDatabase(url: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `nimbus_e2e_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

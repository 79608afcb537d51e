/**
 * The PostgreSQL connection pool every adapter of a clustered node shares (node-postgres). One
 * pool per node: adapters borrow a client per transaction (`withTransaction`) or run one-statement
 * queries on the pool. `synchronous_commit` is forced on for every connection, so a COMMIT that
 * returned is on the server's disk (and its synchronous standbys, if the operator configured
 * any) whatever the server's default: "202 after commit" means what it says.
 *
 * BIGINT (int8) columns come back as JS numbers: every int8 Nimbus stores is an epoch ms, a count
 * or a byte size, all below 2^53.
 */
import pg from 'pg';
import { redactUrl } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

const INT8_OID = 20;
const parseInt8 = (value: string): number => Number(value);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format)) as typeof pg.types.getTypeParser,
};

export interface PgPoolOptions {
  /** postgres://user@host:port/database (libpq URL syntax). */
  url: string;
  /** Connections at most (default 10). */
  max?: number;
  /** Shown in pg_stat_activity (e.g. `nimbus node a`). */
  applicationName?: string;
  /** A schema to put first on the search_path (tests: one schema each). */
  schema?: string;
  /** Where pool errors on idle clients go (a restarted server); they must not crash the node. */
  log?: (line: string) => void;
}

/** Open a pool and check that the server answers (a bad URL fails here, at start-up). */
export async function openPgPool(options: PgPoolOptions): Promise<PgPool> {
  const settings = ['-c synchronous_commit=on', ...(options.schema ? [`-c search_path=${options.schema}`] : [])].join(' ');
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'nimbus',
    options: settings,
    types,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (err) => options.log?.(`postgres: idle connection error: ${err.message}`));
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw new NimbusError(
      'DATABASE_UNAVAILABLE',
      `cannot use the PostgreSQL database ${redactUrl(options.url)}: ${(err as Error).message}; check --db (host, port, database, role) and that the server runs`,
      { cause: err },
    );
  }
  return pool;
}

/** Run `work` in one transaction on one client: COMMIT when it resolves, ROLLBACK when it throws. */
export async function withTransaction<T>(pool: PgPool, work: (client: PgClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** The error code PostgreSQL sent (e.g. '23505' unique violation), if any. */
export function pgErrorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

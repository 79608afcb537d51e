/**
 * The cluster component's tables (migratePg(pool, 'cluster', CLUSTER_MIGRATIONS)): positional,
 * append only. Times are the database's clock in epoch ms (see membership.ts for why).
 */
import { migratePg, type PgPool } from '../pg/index.js';

export const CLUSTER_MIGRATIONS: readonly string[] = [
  // 1: who is in the cluster, what each node serves, and whether it is draining.
  `CREATE TABLE nodes (
    id text PRIMARY KEY,
    token text NOT NULL,
    started_at bigint NOT NULL,
    heartbeat_at bigint NOT NULL,
    left_at bigint,
    gateway_url text NOT NULL,
    admin_url text NOT NULL,
    version text NOT NULL,
    draining boolean NOT NULL DEFAULT false,
    instances integer NOT NULL DEFAULT 0,
    in_flight integer NOT NULL DEFAULT 0)`,
  // 2: the admin key and the API keys' HMAC secret every node shares (shared-keys.ts).
  `CREATE TABLE cluster_secrets (name text PRIMARY KEY, value bytea NOT NULL, created_at bigint NOT NULL)`,
  // 3: the change log LISTEN/NOTIFY announces; polled as the fallback (changes.ts).
  `CREATE TABLE cluster_changes (id bigserial PRIMARY KEY, at bigint NOT NULL, origin text NOT NULL, payload jsonb NOT NULL)`,
  `CREATE INDEX cluster_changes_at ON cluster_changes (at)`,
];

/** Create or update the cluster's tables (every node at start; concurrent starts are safe). */
export async function migrateCluster(pool: PgPool): Promise<void> {
  await migratePg(pool, 'cluster', CLUSTER_MIGRATIONS);
}

/** The database's clock in epoch ms, as SQL. */
export const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/**
 * Numbered migrations per adapter on PostgreSQL. Each adapter (store, queue, kv, objects, …) owns
 * its list, as on SQLite; `nimbus_migrations` records (component, version) applied. The whole run
 * holds a transaction-level advisory lock, so N nodes starting at once against an empty database
 * apply each migration exactly once (the others wait, then find it applied). Migrations are
 * positional: append, never edit or reorder.
 */
import { withTransaction, type PgPool } from './pool.js';

/** Serialises migrations across nodes (pg_advisory_xact_lock key; any constant unique to Nimbus). */
const MIGRATION_LOCK = 7_240_311;

/** Apply the migrations of `component` not yet applied; returns how many ran. */
export async function migratePg(pool: PgPool, component: string, migrations: readonly string[]): Promise<number> {
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS nimbus_migrations (
      component text NOT NULL, version integer NOT NULL, applied_at bigint NOT NULL,
      PRIMARY KEY (component, version))`);
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM nimbus_migrations WHERE component = $1', [component]);
    const done = rows[0]?.v ?? 0;
    for (let i = done; i < migrations.length; i++) {
      await client.query(migrations[i]!);
      await client.query('INSERT INTO nimbus_migrations (component, version, applied_at) VALUES ($1, $2, $3)', [component, i + 1, Date.now()]);
    }
    return migrations.length - done;
  });
}

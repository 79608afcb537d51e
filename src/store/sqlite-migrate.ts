/**
 * Numbered migrations per SQLite adapter (KV, object metadata, schedule state, function metrics,
 * storage usage), as graphile-worker's storage owns its schema: each adapter applies its own list
 * when it opens, so it works on any file (the node's `nimbus.db`, a throwaway one in its tests)
 * whatever opened the file before it, and in any order. `nimbus_migrations` records
 * (component, version), the same table and shape as the PostgreSQL side (src/pg/migrate.ts).
 * Entry i of a list is version i + 1. Never edit a released entry: append a new one.
 *
 * A component's first migration adopts what the store's migrations created before the split
 * (`CREATE … IF NOT EXISTS` with exactly the old definitions), so an existing data dir keeps its
 * tables and rows. (The event queue and secrets kept their own tables before this helper existed:
 * queue_migrations, secrets_migrations.)
 */
import type Database from 'better-sqlite3';
import { NimbusError } from '../shared/errors.js';

/**
 * Apply the migrations of `component` not yet applied, in one IMMEDIATE transaction (two
 * connections opening the same file wait for each other instead of both migrating; a failed
 * migration leaves the previous schema). Returns the component's schema version.
 */
export function migrateSqlite(db: Database.Database, component: string, migrations: readonly string[]): number {
  const run = db.transaction((): number => {
    db.exec(`CREATE TABLE IF NOT EXISTS nimbus_migrations (
      component  TEXT NOT NULL,
      version    INTEGER NOT NULL,
      applied_at INTEGER NOT NULL,
      PRIMARY KEY (component, version)
    ) STRICT`);
    const done = db.prepare<[string], number>('SELECT coalesce(max(version), 0) FROM nimbus_migrations WHERE component = ?').pluck().get(component) ?? 0;
    if (done > migrations.length) {
      throw new NimbusError(
        'INTERNAL',
        `the ${component} tables are at schema version ${done} but this Nimbus knows only ${migrations.length}: ` + 'upgrade Nimbus or point it at another data directory',
      );
    }
    const record = db.prepare<[string, number, number]>('INSERT INTO nimbus_migrations (component, version, applied_at) VALUES (?, ?, ?)');
    for (let i = done; i < migrations.length; i++) {
      db.exec(migrations[i]!);
      record.run(component, i + 1, Date.now());
    }
    return migrations.length;
  });
  return run.immediate();
}

/**
 * `SecretStore` on SQLite: its own connection to the node's database file and its own numbered
 * migrations in its own bookkeeping table (`secrets_migrations`), as the event queue keeps its
 * schema (queue/sqlite-schema.ts). Ciphertexts only: the plaintext never reaches this file.
 */
import type Database from 'better-sqlite3';
import { immediate } from '../store/immediate.js';
import { openDatabase } from '../storage/index.js';
import type { Sealed } from './crypto.js';
import type { SecretRow, SecretStore } from './port.js';

/** Entry i is migration i + 1. Never edit a released entry: append a new one. */
export const SECRETS_MIGRATIONS: readonly string[] = [
  // 0001 secrets (AES-256-GCM: iv, ciphertext and tag base64) and the master key's check value.
  `
  CREATE TABLE secrets (
    app        TEXT NOT NULL,
    name       TEXT NOT NULL,
    iv         TEXT NOT NULL,
    data       TEXT NOT NULL,
    tag        TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (app, name)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE secrets_meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;
  `,
];

interface Row {
  app: string;
  name: string;
  iv: string;
  data: string;
  tag: string;
  updated_at: number;
}

export class SqliteSecretStore implements SecretStore {
  private constructor(private readonly db: Database.Database) {}

  static open(options: { file: string }): SqliteSecretStore {
    const db = openDatabase(options.file);
    try {
      migrate(db);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteSecretStore(db);
  }

  async get(app: string, name: string): Promise<SecretRow | undefined> {
    const row = this.db.prepare<[string, string], Row>('SELECT * FROM secrets WHERE app = ? AND name = ?').get(app, name);
    return row && toSecret(row);
  }

  async list(app: string): Promise<SecretRow[]> {
    return this.db.prepare<[string], Row>('SELECT * FROM secrets WHERE app = ? ORDER BY name').all(app).map(toSecret);
  }

  async all(): Promise<SecretRow[]> {
    return this.db.prepare<[], Row>('SELECT * FROM secrets ORDER BY app, name').all().map(toSecret);
  }

  async put(r: SecretRow): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO secrets (app, name, iv, data, tag, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (app, name) DO UPDATE SET iv = excluded.iv, data = excluded.data, tag = excluded.tag, updated_at = excluded.updated_at',
      )
      .run(r.app, r.name, r.sealed.iv, r.sealed.data, r.sealed.tag, r.updatedAt);
  }

  async delete(app: string, name: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM secrets WHERE app = ? AND name = ?').run(app, name).changes > 0;
  }

  async getKeyCheck(): Promise<Sealed | undefined> {
    const value = this.db.prepare<[], string>("SELECT value FROM secrets_meta WHERE key = 'key_check'").pluck().get();
    return value === undefined ? undefined : (JSON.parse(value) as Sealed);
  }

  async setKeyCheck(check: Sealed): Promise<void> {
    this.db.prepare("INSERT INTO secrets_meta (key, value) VALUES ('key_check', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(JSON.stringify(check));
  }

  async rewrap(rows: SecretRow[], check: Sealed): Promise<void> {
    const update = this.db.prepare('UPDATE secrets SET iv = ?, data = ?, tag = ? WHERE app = ? AND name = ?');
    immediate(
      this.db.transaction(() => {
        const count = this.db.prepare<[], number>('SELECT count(*) FROM secrets').pluck().get() ?? 0;
        let changed = 0;
        for (const r of rows) changed += update.run(r.sealed.iv, r.sealed.data, r.sealed.tag, r.app, r.name).changes;
        // A secret set between reading and rewrapping would be left under the old key: refuse (rolls back).
        if (changed !== count || rows.length !== count) throw new Error('rewrap must cover exactly the stored secrets');
        this.db.prepare("INSERT INTO secrets_meta (key, value) VALUES ('key_check', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(JSON.stringify(check));
      }),
    )();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function toSecret(r: Row): SecretRow {
  return { app: r.app, name: r.name, sealed: { iv: r.iv, data: r.data, tag: r.tag }, updatedAt: r.updated_at };
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS secrets_migrations (id INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
  immediate(
    db.transaction(() => {
      const done = db.prepare<[], number>('SELECT coalesce(max(id), 0) FROM secrets_migrations').pluck().get() ?? 0;
      for (let i = done; i < SECRETS_MIGRATIONS.length; i++) {
        db.exec(SECRETS_MIGRATIONS[i]!);
        db.prepare('INSERT INTO secrets_migrations (id, applied_at) VALUES (?, ?)').run(i + 1, Date.now());
      }
    }),
  )();
}

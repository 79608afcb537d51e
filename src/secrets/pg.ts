/**
 * `SecretStore` on PostgreSQL (nodes sharing one database), with its own migrations (component
 * 'secrets'). Ciphertexts only, as on SQLite: the plaintext and the master key never reach it.
 */
import { migratePg, withTransaction, type PgPool, type Queryable } from '../pg/index.js';
import type { Sealed } from './crypto.js';
import type { SecretRow, SecretStore } from './port.js';

/** Entry i is migration i + 1. Never edit a released entry: append a new one. */
export const SECRETS_PG_MIGRATIONS: readonly string[] = [
  // secrets (AES-256-GCM: iv, ciphertext and tag base64) and the master key's check value (JSON).
  `
  CREATE TABLE secrets (
    app        text COLLATE "C" NOT NULL,
    name       text COLLATE "C" NOT NULL,
    iv         text NOT NULL,
    data       text NOT NULL,
    tag        text NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (app, name)
  );
  CREATE TABLE secrets_meta (
    key   text NOT NULL PRIMARY KEY,
    value text NOT NULL
  );
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

const SET_CHECK = "INSERT INTO secrets_meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

export class PgSecretStore implements SecretStore {
  private constructor(private readonly pool: PgPool) {}

  /** `pool`: the node's shared pool (never ended here). */
  static async open(options: { pool: PgPool }): Promise<PgSecretStore> {
    await migratePg(options.pool, 'secrets', SECRETS_PG_MIGRATIONS);
    return new PgSecretStore(options.pool);
  }

  async get(app: string, name: string): Promise<SecretRow | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM secrets WHERE app = $1 AND name = $2', [app, name]);
    return rows[0] && toSecret(rows[0]);
  }

  async list(app: string): Promise<SecretRow[]> {
    return (await this.pool.query<Row>('SELECT * FROM secrets WHERE app = $1 ORDER BY name', [app])).rows.map(toSecret);
  }

  async all(): Promise<SecretRow[]> {
    return (await this.pool.query<Row>('SELECT * FROM secrets ORDER BY app, name')).rows.map(toSecret);
  }

  async put(r: SecretRow): Promise<void> {
    await this.pool.query(
      `INSERT INTO secrets (app, name, iv, data, tag, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (app, name) DO UPDATE SET iv = excluded.iv, data = excluded.data, tag = excluded.tag, updated_at = excluded.updated_at`,
      [r.app, r.name, r.sealed.iv, r.sealed.data, r.sealed.tag, r.updatedAt],
    );
  }

  async delete(app: string, name: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM secrets WHERE app = $1 AND name = $2', [app, name])).rowCount ?? 0) > 0;
  }

  async getKeyCheck(): Promise<Sealed | undefined> {
    const { rows } = await this.pool.query<{ value: string }>("SELECT value FROM secrets_meta WHERE key = 'key_check'");
    return rows[0] === undefined ? undefined : (JSON.parse(rows[0].value) as Sealed);
  }

  async setKeyCheck(check: Sealed): Promise<void> {
    await setCheck(this.pool, check);
  }

  async rewrap(rows: SecretRow[], check: Sealed): Promise<void> {
    await withTransaction(this.pool, async (c) => {
      // Other nodes may still read but not write until COMMIT (rotation is rare): a secret set
      // between reading and rewrapping would be left under the old key, so the count below must
      // match (else the throw rolls back).
      await c.query('LOCK TABLE secrets IN EXCLUSIVE MODE');
      const count = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM secrets')).rows[0]!.n;
      let changed = 0;
      for (const r of rows) {
        const res = await c.query('UPDATE secrets SET iv = $1, data = $2, tag = $3 WHERE app = $4 AND name = $5', [r.sealed.iv, r.sealed.data, r.sealed.tag, r.app, r.name]);
        changed += res.rowCount ?? 0;
      }
      if (changed !== count || rows.length !== count) throw new Error('rewrap must cover exactly the stored secrets');
      await setCheck(c, check);
    });
  }

  /** Nothing of its own to stop: the pool belongs to the backend. */
  async close(): Promise<void> {}
}

async function setCheck(q: Queryable, check: Sealed): Promise<void> {
  await q.query(SET_CHECK, [JSON.stringify(check)]);
}

function toSecret(r: Row): SecretRow {
  return { app: r.app, name: r.name, sealed: { iv: r.iv, data: r.data, tag: r.tag }, updatedAt: r.updated_at };
}

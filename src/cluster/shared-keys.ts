/**
 * The keys every node of a cluster must share: the admin key (one key works on every node) and the
 * secret API keys are HMACed with (a key created through node A must authenticate on node B).
 *
 * The first node to start inserts its candidates; `INSERT … ON CONFLICT DO NOTHING` then a SELECT
 * means two first nodes racing agree on whichever row committed first. Every node then writes the
 * agreed admin key to its own `<data-dir>/admin.key` (mode 0600), so `nimbus` on any machine finds it.
 *
 * The trade-off: on one node the HMAC secret lives only in the data dir, so a copy of the database
 * alone cannot be used to check guesses of API keys. In a cluster it lives in the database, so a
 * copy of the database (a backup) is enough to test guesses offline; the keys are 32 random bytes,
 * which keeps guessing hopeless, but protect backups as you would the keys. The master key of app
 * secrets is deliberately NOT stored here: every node is given the same NIMBUS_MASTER_KEY (or
 * master.key), so a database copy alone still cannot decrypt secrets.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import type { PgPool } from '../pg/index.js';
import { DB_NOW, migrateCluster } from './migrations.js';

export interface SharedKeys {
  adminKey: string;
  /** The API keys' HMAC secret (32 bytes). */
  keySecret: Buffer;
}

export interface SharedKeyOptions {
  pool: PgPool;
  /** `<data-dir>/admin.key`: written with the agreed key. */
  adminKeyFile: string;
  /** What this node proposes if it is the first (default: its admin.key if it has one, else fresh random keys). */
  proposal?: Partial<SharedKeys>;
}

/** The cluster's admin key and HMAC secret, created by the first node to ask; writes admin.key. */
export async function agreeSharedKeys(o: SharedKeyOptions): Promise<SharedKeys> {
  await migrateCluster(o.pool);
  const adminKey = o.proposal?.adminKey ?? readKey(o.adminKeyFile) ?? `nmb_${randomBytes(32).toString('base64url')}`;
  const keySecret = o.proposal?.keySecret ?? randomBytes(32);
  await o.pool.query(`INSERT INTO cluster_secrets (name, value, created_at) VALUES ('admin-key', $1, ${DB_NOW}), ('key-hmac', $2, ${DB_NOW}) ON CONFLICT (name) DO NOTHING`, [
    Buffer.from(adminKey, 'utf8'),
    keySecret,
  ]);
  const { rows } = await o.pool.query<{ name: string; value: Buffer }>(`SELECT name, value FROM cluster_secrets WHERE name IN ('admin-key', 'key-hmac')`);
  const agreedAdmin = rows.find((r) => r.name === 'admin-key')?.value.toString('utf8');
  const agreedSecret = rows.find((r) => r.name === 'key-hmac')?.value;
  if (agreedAdmin === undefined || agreedSecret === undefined) throw new Error('cluster_secrets lost a row between insert and select');
  if (readKey(o.adminKeyFile) !== agreedAdmin) {
    writeFileSync(o.adminKeyFile, `${agreedAdmin}\n`, { mode: 0o600, flag: 'w' });
    chmodSync(o.adminKeyFile, 0o600);
  }
  return { adminKey: agreedAdmin, keySecret: agreedSecret };
}

function readKey(file: string): string | undefined {
  try {
    const key = readFileSync(file, 'utf8').trim();
    return key.length > 0 ? key : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

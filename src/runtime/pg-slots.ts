/**
 * Concurrency slots leased in PostgreSQL (the SlotLeases of concurrency-gate.ts): one row per
 * (function, node) says how many instances that node may run, until `expires_at`.
 *
 * Acquire is one transaction under a transaction-level advisory lock on the function, so two
 * nodes asking at once are serialised and the sum of unexpired rows never exceeds the limit:
 * drop the function's expired rows (dead nodes), sum the other nodes' slots, hold
 * min(asked, N − others). Renew extends only rows that have not expired: a lease that lapsed
 * (this node was cut off from the database for longer than the TTL) may already have been
 * handed to another node, so it must not come back from the dead.
 *
 * Every expiry is compared with the database server's clock, never a node's, so nodes whose
 * clocks drift still agree on which leases are alive. Tests pass `now` to fake time.
 */
import { migratePg, withTransaction, type PgPool } from '../pg/index.js';
import type { Clock } from '../shared/clock.js';
import { LeasedGate, type SlotLeases } from './concurrency-gate.js';

export const CONCURRENCY_MIGRATIONS: readonly string[] = [
  `CREATE TABLE concurrency_slots (
     app text NOT NULL,
     function text NOT NULL,
     node_id text NOT NULL,
     slots integer NOT NULL CHECK (slots >= 0),
     expires_at bigint NOT NULL,
     PRIMARY KEY (app, function, node_id))`,
  'CREATE INDEX concurrency_slots_node ON concurrency_slots (node_id)',
];

/** The server's clock in epoch ms, unless the caller passed one ($n, tests). */
const now = (n: number) => `coalesce($${n}::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint)`;

export interface PgConcurrencyLeasesOptions {
  pool: PgPool;
  nodeId: string;
  /** How long a lease lives without renewal, ms (default 8000; renewals come every 2 s). */
  ttlMs?: number;
  /** Fake time for tests (epoch ms); production uses the database server's clock. */
  now?: () => number;
}

export class PgConcurrencyLeases implements SlotLeases {
  private readonly ttlMs: number;

  private constructor(private readonly o: PgConcurrencyLeasesOptions) {
    this.ttlMs = o.ttlMs ?? 8000;
  }

  /** Apply the 'concurrency' migrations and return the leases of node `nodeId`. */
  static async open(o: PgConcurrencyLeasesOptions): Promise<PgConcurrencyLeases> {
    await migratePg(o.pool, 'concurrency', CONCURRENCY_MIGRATIONS);
    return new PgConcurrencyLeases(o);
  }

  async acquire(app: string, fn: string, concurrency: number, total: number): Promise<number> {
    return withTransaction(this.o.pool, async (c) => {
      const t = this.o.now?.() ?? null;
      await c.query("SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2))", [app, fn]);
      await c.query(`DELETE FROM concurrency_slots WHERE app = $1 AND function = $2 AND expires_at <= ${now(3)}`, [app, fn, t]);
      const { rows } = await c.query<{ others: number }>('SELECT coalesce(sum(slots), 0)::int AS others FROM concurrency_slots WHERE app = $1 AND function = $2 AND node_id <> $3', [
        app,
        fn,
        this.o.nodeId,
      ]);
      const held = Math.max(0, Math.min(total, concurrency - (rows[0]?.others ?? 0)));
      if (held === 0) {
        await c.query('DELETE FROM concurrency_slots WHERE app = $1 AND function = $2 AND node_id = $3', [app, fn, this.o.nodeId]);
        return 0;
      }
      await c.query(
        `INSERT INTO concurrency_slots (app, function, node_id, slots, expires_at) VALUES ($1, $2, $3, $4, ${now(5)} + $6)
         ON CONFLICT (app, function, node_id) DO UPDATE SET slots = excluded.slots, expires_at = excluded.expires_at`,
        [app, fn, this.o.nodeId, held, t, this.ttlMs],
      );
      return held;
    });
  }

  async release(app: string, fn: string, total: number): Promise<void> {
    if (total <= 0) {
      await this.o.pool.query('DELETE FROM concurrency_slots WHERE app = $1 AND function = $2 AND node_id = $3', [app, fn, this.o.nodeId]);
      return;
    }
    // Only ever lowers a holding, so it needs no lock: the sum can only fall.
    await this.o.pool.query('UPDATE concurrency_slots SET slots = least(slots, $4) WHERE app = $1 AND function = $2 AND node_id = $3', [app, fn, this.o.nodeId, total]);
  }

  async renew(): Promise<Set<string>> {
    const t = this.o.now?.() ?? null;
    const { rows } = await this.o.pool.query<{ app: string; function: string }>(
      `UPDATE concurrency_slots SET expires_at = ${now(2)} + $3 WHERE node_id = $1 AND expires_at > ${now(2)} RETURNING app, function`,
      [this.o.nodeId, t, this.ttlMs],
    );
    return new Set(rows.map((r) => `${r.app}/${r.function}`));
  }

  async releaseAll(): Promise<void> {
    await this.o.pool.query('DELETE FROM concurrency_slots WHERE node_id = $1', [this.o.nodeId]);
  }

  /** Every unexpired lease of a function, per node (cluster status, tests). */
  async holders(app: string, fn: string): Promise<Map<string, number>> {
    const t = this.o.now?.() ?? null;
    const { rows } = await this.o.pool.query<{ node_id: string; slots: number }>(
      `SELECT node_id, slots FROM concurrency_slots WHERE app = $1 AND function = $2 AND expires_at > ${now(3)} ORDER BY node_id`,
      [app, fn, t],
    );
    return new Map(rows.map((r) => [r.node_id, r.slots]));
  }
}

/** The concurrency gate of a clustered node: slots leased in PostgreSQL, renewed every 2 s, dropped on close. */
export async function openPgConcurrencyGate(o: { pool: PgPool; nodeId: string; clock: Clock; log?: (line: string) => void }): Promise<LeasedGate> {
  const leases = await PgConcurrencyLeases.open({ pool: o.pool, nodeId: o.nodeId });
  return new LeasedGate({ leases, clock: o.clock, ...(o.log ? { log: o.log } : {}) });
}

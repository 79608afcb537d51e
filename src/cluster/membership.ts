/**
 * The node registry: each node of a cluster has a row in `nodes` that it heartbeats every 2 s with
 * what it serves (instances, requests in flight) and whether it drains. `nimbus cluster status`
 * reads it through any node.
 *
 * A node's life in the table:
 *   join → live (heartbeat younger than LIVE_MS) → draining (close() began) → left (left_at set)
 *   live → dead (no heartbeat for LIVE_MS: the process died; its row stays, alive = false)
 * Joining with an id whose row is live (and not ours) is refused with NODE_ID_IN_USE, so two
 * processes never answer for one node id (leases and logs name the node). A dead or left id may be
 * taken again, and so may a live-looking id whose process holds no connection any more: every
 * node's sessions are named `nimbus node <id> <process token>` (backend-postgres.ts), and a
 * process that died (kill -9, a crash) has its connections closed by the kernel at once, so a node
 * restarted right away by its supervisor takes its id back without waiting LIVE_MS. (This needs
 * every node to connect as the same role: pg_stat_activity hides other roles' session names.)
 * Each join writes a fresh token; a heartbeat that finds another token means another
 * process took the id after ours stalled past LIVE_MS, and is logged (never silently overwritten).
 *
 * Times are the database's clock, not the node's: ages compare heartbeats written by different
 * machines, whose clocks may disagree by more than the liveness window.
 */
import { randomBytes } from 'node:crypto';
import { isNodeId } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import { withTransaction, type PgPool } from '../pg/index.js';
import { DB_NOW, migrateCluster } from './migrations.js';

/** A heartbeat younger than this: the node is alive. */
export const LIVE_MS = 10_000;
export const HEARTBEAT_MS = 2_000;
/** Dead nodes are listed this long after their last heartbeat, then forgotten by status. */
const SHOWN_DEAD_MS = 3_600_000;

/** What a node tells the others about its load at every heartbeat. */
export interface NodeStats {
  instances: number;
  inFlight: number;
}

/** One node as `GET /v1/cluster` lists it. */
export interface NodeView extends NodeStats {
  id: string;
  heartbeatAgeMs: number;
  alive: boolean;
  draining: boolean;
  gatewayUrl: string;
  adminUrl: string;
  version: string;
  startedAt: number;
}

export interface JoinOptions {
  pool: PgPool;
  nodeId: string;
  gatewayUrl: string;
  adminUrl: string;
  /** The Nimbus version this node runs (mixed versions show during a rolling upgrade). */
  version?: string;
  stats: () => NodeStats;
  log?: (line: string) => void;
  /** Default HEARTBEAT_MS (tests may beat faster). */
  heartbeatMs?: number;
}

interface NodeRow {
  id: string;
  token: string;
  started_at: number;
  age: number;
  draining: boolean;
  gateway_url: string;
  admin_url: string;
  version: string;
  instances: number;
  in_flight: number;
}

export class ClusterMembership {
  private timer: NodeJS.Timeout | undefined;
  private draining = false;
  private beating: Promise<void> = Promise.resolve();

  private constructor(
    private readonly o: JoinOptions,
    private readonly token: string,
  ) {}

  /** Register this node (NODE_ID_IN_USE when a live node has the id) and start heartbeating. */
  static async join(o: JoinOptions): Promise<ClusterMembership> {
    if (!isNodeId(o.nodeId)) throw new NimbusError('BAD_REQUEST', `node id "${o.nodeId}": use lower-case letters, digits and "-" (at most 63), e.g. "a" or "node-2"`);
    await migrateCluster(o.pool);
    const token = randomBytes(12).toString('base64url');
    const s = o.stats();
    await withTransaction(o.pool, async (c) => {
      const { rows } = await c.query<NodeRow>(`SELECT id, token, ${DB_NOW} - heartbeat_at AS age, left_at FROM nodes WHERE id = $1 FOR UPDATE`, [o.nodeId]);
      const row = rows[0] as (NodeRow & { left_at: number | null }) | undefined;
      if (row && row.left_at === null && row.age < LIVE_MS && (await otherSessions(c, o.nodeId)) !== 0) {
        throw new NimbusError(
          'NODE_ID_IN_USE',
          `node id "${o.nodeId}" is used by a live node of this cluster (last heartbeat ${Math.max(0, Math.round(row.age))} ms ago): ` +
            `start this node with another --node-id, or stop the other one (a node that died frees its id ${LIVE_MS / 1000} s after its last heartbeat)`,
          { details: { nodeId: o.nodeId } },
        );
      }
      await c.query(
        `INSERT INTO nodes (id, token, started_at, heartbeat_at, left_at, gateway_url, admin_url, version, draining, instances, in_flight)
         VALUES ($1, $2, ${DB_NOW}, ${DB_NOW}, NULL, $3, $4, $5, false, $6, $7)
         ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at,
           left_at = NULL, gateway_url = EXCLUDED.gateway_url, admin_url = EXCLUDED.admin_url, version = EXCLUDED.version,
           draining = false, instances = EXCLUDED.instances, in_flight = EXCLUDED.in_flight`,
        [o.nodeId, token, o.gatewayUrl, o.adminUrl, o.version ?? 'unknown', s.instances, s.inFlight],
      );
    });
    const m = new ClusterMembership(o, token);
    m.timer = setInterval(() => void m.beat(), o.heartbeatMs ?? HEARTBEAT_MS);
    m.timer.unref();
    return m;
  }

  get nodeId(): string {
    return this.o.nodeId;
  }

  /** The listeners are up: where this node serves (the registry row was written before they opened). */
  async announce(urls: { gatewayUrl: string; adminUrl: string }): Promise<void> {
    await this.o.pool.query('UPDATE nodes SET gateway_url = $3, admin_url = $4 WHERE id = $1 AND token = $2', [this.o.nodeId, this.token, urls.gatewayUrl, urls.adminUrl]);
  }

  /** close() began: the row says draining from now on (and at once, not at the next beat). */
  async drain(): Promise<void> {
    this.draining = true;
    await this.beat();
  }

  /** Write the heartbeat now (the timer calls it; failures are logged, the next beat retries). */
  beat(): Promise<void> {
    this.beating = this.beating.then(async () => {
      const s = this.o.stats();
      try {
        const r = await this.o.pool.query(`UPDATE nodes SET heartbeat_at = ${DB_NOW}, draining = $3, instances = $4, in_flight = $5 WHERE id = $1 AND token = $2 AND left_at IS NULL`, [
          this.o.nodeId,
          this.token,
          this.draining,
          s.instances,
          s.inFlight,
        ]);
        if (r.rowCount === 0) this.o.log?.(`cluster: node id "${this.o.nodeId}" was taken by another process after this node's heartbeats stalled; stop one of them`);
      } catch (err) {
        this.o.log?.(`cluster: heartbeat failed: ${(err as Error).message}`);
      }
    });
    return this.beating;
  }

  /** Stop heartbeating and mark the node gone (it frees its id at once). */
  async leave(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    await this.o.pool.query(`UPDATE nodes SET left_at = ${DB_NOW}, draining = false, instances = 0, in_flight = 0 WHERE id = $1 AND token = $2`, [this.o.nodeId, this.token]);
  }

  /** The cluster's nodes (live, draining, and dead ones of the last hour), by id. */
  members(): Promise<NodeView[]> {
    return listMembers(this.o.pool);
  }
}

/** The nodes of the cluster (no membership needed: a read-only view). */
export async function listMembers(pool: PgPool): Promise<NodeView[]> {
  const { rows } = await pool.query<NodeRow>(
    `SELECT id, token, started_at, ${DB_NOW} - heartbeat_at AS age, draining, gateway_url, admin_url, version, instances, in_flight
     FROM nodes WHERE left_at IS NULL AND heartbeat_at > ${DB_NOW} - $1 ORDER BY id`,
    [SHOWN_DEAD_MS],
  );
  return rows.map((r) => ({
    id: r.id,
    heartbeatAgeMs: Math.max(0, Number(r.age)),
    alive: Number(r.age) < LIVE_MS,
    draining: r.draining,
    instances: r.instances,
    inFlight: r.in_flight,
    gatewayUrl: r.gateway_url,
    adminUrl: r.admin_url,
    version: r.version,
    startedAt: r.started_at,
  }));
}

/**
 * Sessions of another process calling itself node `nodeId` (its pool's application_name), or
 * undefined when the name cannot tell (a name cut at 63 characters): then only the heartbeat decides.
 */
async function otherSessions(c: Pick<PgPool, 'query'>, nodeId: string): Promise<number | undefined> {
  const prefix = `nimbus node ${nodeId} `;
  const { rows } = await c.query<{ own: string; n: number }>(
    `SELECT current_setting('application_name') AS own,
       (SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND usename = current_user
          AND starts_with(application_name, $1) AND application_name <> current_setting('application_name')) AS n`,
    [prefix],
  );
  const r = rows[0]!;
  // Our own name must carry the prefix and a token after it, else the names say nothing.
  if (!r.own.startsWith(prefix) || r.own.length >= 63) return undefined;
  return r.n;
}

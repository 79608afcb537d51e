/**
 * Propagation of changes between the nodes of a cluster. A node that deploys, rolls back, moves an
 * alias, ends a canary, sets a secret or revokes a key publishes a Change; every other node applies
 * it (re-reads the app, drops a cached secret) within about a second.
 *
 * Publishing inserts a row in `cluster_changes` and calls pg_notify in the same statement (the
 * notification is sent at commit). Two ways in, so neither has to be perfect:
 * - LISTEN on a dedicated connection: the change arrives in milliseconds. A lost connection is
 *   re-established (and re-LISTENed) after a second, for as long as the feed runs.
 * - Polling every `pollMs`: rows newer than a horizon are read, so a notification lost while the
 *   connection was down, or never sent, is applied at the next poll.
 * Changes are applied at least once (a handler may see one twice, via both ways, only if its
 * id fell out of the handled set): handlers re-read state rather than apply deltas, so twice is
 * harmless. The horizon lags `HORIZON_MS` behind the newest row: ids are allocated before commit,
 * so a transaction may commit id 7 after id 8 was seen, and the poll must still find it.
 * A node ignores its own changes (it applied them when it made them).
 */
import type { PgClient, PgPool } from '../pg/index.js';
import { DB_NOW, migrateCluster } from './migrations.js';

export const CHANGES_CHANNEL = 'nimbus_changes';
/** Rows this young may still have lower-numbered rows committing around them. */
const HORIZON_MS = 5_000;
/** Rows older than this are deleted (every node applied them long ago, or was down and reloads all at start). */
const KEEP_MS = 3_600_000;

export type Change = { kind: 'app'; app: string } | { kind: 'secret'; app: string; name: string } | { kind: 'key' };

export interface ChangeFeedOptions {
  pool: PgPool;
  nodeId: string;
  /** Applies a change another node made; a throw is logged (the change is not retried). */
  apply: (change: Change) => Promise<void> | void;
  log?: (line: string) => void;
  /** Default 1000. */
  pollMs?: number;
  /** false: polling only (tests of the fallback; a pooler that does not pass LISTEN through, e.g. PgBouncer in transaction mode). */
  listen?: boolean;
  /** Default `nimbus_changes` (tests sharing a database use their own). */
  channel?: string;
  /** Delay before re-LISTENing after a lost connection. Default 1000. */
  reconnectMs?: number;
}

interface ChangeRow {
  id: number;
  at: number;
  origin: string;
  payload: Change;
}

export class ChangeFeed {
  private readonly handled = new Set<number>();
  private horizon = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private client: PgClient | undefined;
  /** Detaches this feed's listeners from `client` (a pool client outlives the feed). */
  private detach: (() => void) | undefined;
  private closed = false;
  private polling: Promise<void> = Promise.resolve();
  private readonly channel: string;

  private constructor(private readonly o: ChangeFeedOptions) {
    this.channel = o.channel ?? CHANGES_CHANNEL;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.channel)) throw new Error(`bad channel name ${this.channel}`);
  }

  /** Start listening and polling. Changes made before the start are not applied (the node loads everything at start). */
  static async start(o: ChangeFeedOptions): Promise<ChangeFeed> {
    await migrateCluster(o.pool);
    const feed = new ChangeFeed(o);
    const { rows } = await o.pool.query<{ id: number | null }>('SELECT max(id) AS id FROM cluster_changes');
    feed.horizon = rows[0]?.id ?? 0;
    if (o.listen !== false) await feed.connect();
    feed.pollTimer = setInterval(() => void feed.poll(), o.pollMs ?? 1000);
    feed.pollTimer.unref();
    return feed;
  }

  /** Tell the other nodes (after the change committed). */
  async publish(change: Change): Promise<void> {
    await this.o.pool.query(
      `WITH c AS (INSERT INTO cluster_changes (at, origin, payload) VALUES (${DB_NOW}, $1, $2) RETURNING id)
       SELECT pg_notify($3, json_build_object('id', c.id, 'origin', $1::text, 'payload', $2::jsonb)::text) FROM c`,
      [this.o.nodeId, JSON.stringify(change), this.channel],
    );
  }

  /** Read the rows past the horizon now (the timer calls it). */
  poll(): Promise<void> {
    this.polling = this.polling.then(async () => {
      if (this.closed) return;
      try {
        const { rows } = await this.o.pool.query<ChangeRow & { now: number }>(`SELECT id, at, origin, payload, ${DB_NOW} AS now FROM cluster_changes WHERE id > $1 ORDER BY id`, [this.horizon]);
        for (const r of rows) await this.handle(r.id, r.origin, r.payload);
        // Advance the horizon over the rows old enough that no lower id can still commit.
        const settled = rows.filter((r) => r.at < r.now - HORIZON_MS);
        const top = settled.at(-1)?.id;
        if (top !== undefined) {
          this.horizon = top;
          for (const id of this.handled) if (id <= top) this.handled.delete(id);
        }
        if (Math.random() < 0.01) await this.o.pool.query(`DELETE FROM cluster_changes WHERE at < ${DB_NOW} - $1`, [KEEP_MS]);
      } catch (err) {
        this.o.log?.(`cluster: polling changes failed: ${(err as Error).message}`);
      }
    });
    return this.polling;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    await this.polling;
    const c = this.client;
    this.client = undefined;
    if (c) {
      this.detach?.();
      await c.query(`UNLISTEN ${this.channel}`).catch(() => {});
      c.release();
    }
  }

  private async handle(id: number, origin: string, change: Change): Promise<void> {
    if (this.handled.has(id) || id <= this.horizon) return;
    this.handled.add(id);
    if (origin === this.o.nodeId) return;
    try {
      await this.o.apply(change);
    } catch (err) {
      this.o.log?.(`cluster: applying a ${change.kind} change failed: ${(err as Error).message}`);
    }
  }

  private async connect(): Promise<void> {
    let client: PgClient;
    try {
      client = await this.o.pool.connect();
    } catch (err) {
      this.o.log?.(`cluster: LISTEN connection failed (polling meanwhile): ${(err as Error).message}`);
      this.reconnectLater();
      return;
    }
    let lost = false;
    const drop = (err?: Error) => {
      if (lost) return;
      lost = true;
      detach();
      if (this.client === client) this.client = undefined;
      // Destroy rather than return a broken connection to the pool.
      client.release(err ?? true);
      if (!this.closed) {
        this.o.log?.(`cluster: LISTEN connection lost${err ? ` (${err.message})` : ''}; polling until it is back`);
        this.reconnectLater();
      }
    };
    const ended = () => drop();
    const notified = (n: { channel: string; payload?: string | undefined }) => {
      if (n.channel !== this.channel || n.payload === undefined) return;
      try {
        const m = JSON.parse(n.payload) as { id: number; origin: string; payload: Change };
        void this.handle(Number(m.id), m.origin, m.payload);
      } catch {
        // Not ours to read; the poll finds the row anyway.
      }
    };
    // Released pool clients are reused by others: take this feed's listeners off first.
    const detach = () => {
      client.off('error', drop);
      client.off('end', ended);
      client.off('notification', notified);
    };
    client.on('error', drop);
    client.on('end', ended);
    client.on('notification', notified);
    try {
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      drop(err as Error);
      return;
    }
    if (this.closed) {
      detach();
      client.release();
      return;
    }
    this.client = client;
    this.detach = detach;
  }

  private reconnectLater(): void {
    if (this.closed) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), this.o.reconnectMs ?? 1000);
    this.reconnectTimer.unref();
  }
}

/**
 * The PostgreSQL backend (issue 11): every adapter on one pool to a database that N nodes share.
 * Each adapter migrates its own tables (under one advisory lock, so nodes starting together apply
 * each migration once). Bucket bytes live in the database too (chunked bytea), so no node keeps
 * state of its own beyond its key files and its sandboxes' temp dirs.
 */
import { randomBytes } from 'node:crypto';
import { PgKvStore } from '../kv/index.js';
import { openPgPool, type PgPool } from '../pg/index.js';
import { PgEventQueue } from '../queue/index.js';
import { openPgConcurrencyGate } from '../runtime/index.js';
import { PgSecretStore } from '../secrets/index.js';
import { systemClock } from '../shared/clock.js';
import { PgObjectStore } from '../storage/pg/index.js';
import { PgFunctionMetrics, PgStore } from '../store/index.js';
import { StoreSink } from '../telemetry/index.js';
import { PgScheduleState } from '../triggers/index.js';
import type { Backend, BackendChoice, BackendContext } from './backend-types.js';

/**
 * This process's connections are named `nimbus node <id> <token>`: the cluster's node registry
 * tells a live node with this id (its sessions are open) from a dead one (kill -9 closes them).
 */
function sessionName(nodeId: string): string {
  return `nimbus node ${nodeId} ${randomBytes(6).toString('hex')}`;
}

/** Connections per node by default: the queue's group commits, heartbeats, telemetry batches, uploads. */
const DEFAULT_POOL_SIZE = 20;

export async function openPostgresBackend(choice: Extract<BackendChoice, { kind: 'postgres' }>, ctx: BackendContext): Promise<Backend> {
  const pool: PgPool = await openPgPool({ url: choice.url, max: choice.poolSize ?? DEFAULT_POOL_SIZE, applicationName: sessionName(choice.nodeId), log: ctx.log });
  // Closed in reverse order of opening, the pool last.
  const closers: Array<() => Promise<unknown>> = [() => pool.end()];
  try {
    const store = await PgStore.open({ pool });
    closers.push(() => store.close());
    const secretStore = await PgSecretStore.open({ pool });
    closers.push(() => secretStore.close());
    const functionMetrics = await PgFunctionMetrics.open({ pool });
    const queue = await PgEventQueue.open({ pool, nodeId: choice.nodeId, log: ctx.log });
    closers.push(() => queue.close());
    const scheduleState = await PgScheduleState.open({ pool, log: ctx.log });
    closers.push(() => scheduleState.close());
    const kv = await PgKvStore.open({ pool, log: ctx.log, ...(ctx.kvQuotaBytes === undefined ? {} : { quotaBytes: ctx.kvQuotaBytes }) });
    closers.push(() => kv.close());
    // Drops this node's slot leases at close, so the others need not wait for them to expire.
    const concurrencyGate = await openPgConcurrencyGate({ pool, nodeId: choice.nodeId, clock: systemClock, log: ctx.log });
    closers.push(() => concurrencyGate.close());
    return {
      kind: 'postgres',
      store,
      secretStore,
      openTelemetrySink: () => new StoreSink(store),
      functionMetrics,
      queue,
      scheduleState,
      kv,
      concurrencyGate,
      cluster: { pool, nodeId: choice.nodeId },
      openObjects: (deps) => PgObjectStore.open({ ...deps, pool }),
      close: async () => {
        for (const close of closers.splice(0).reverse()) await close().catch((err: unknown) => ctx.log(`postgres backend: close: ${(err as Error).message}`));
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw err;
  }
}

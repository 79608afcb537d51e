/**
 * The Store on PostgreSQL, for N nodes sharing one database (issue 11): the control-plane half
 * (control.ts) and the telemetry half (telemetry.ts) on the node's shared pool, which the backend
 * owns and ends (close() here stops nothing of the pool).
 */
import { migratePg, type PgPool } from '../../pg/index.js';
import { PgControlStore } from './control.js';
import { MIGRATIONS } from './schema.js';
import { PgTelemetryStore } from './telemetry.js';
import type { Store } from '../port.js';

export { PgControlStore } from './control.js';
export { PgTelemetryStore } from './telemetry.js';
export { MIGRATIONS as PG_STORE_MIGRATIONS, STORE_TABLES as PG_STORE_TABLES } from './schema.js';

export interface PgStoreOptions {
  pool: PgPool;
  /** Epoch ms for created/updated stamps; injectable so tests fake time. */
  clock?: () => number;
  /** Characters of bundles each node keeps in memory (default 64 Mi). */
  codeCacheChars?: number;
}

export class PgStore extends PgControlStore implements Store {
  readonly telemetry: PgTelemetryStore;

  /** Migrate the store's schema (once across nodes) and open both halves. */
  static async open(options: PgStoreOptions): Promise<PgStore> {
    await migratePg(options.pool, 'store', MIGRATIONS);
    return new PgStore(options);
  }

  private constructor(options: PgStoreOptions) {
    super(options);
    this.telemetry = new PgTelemetryStore({ pool: options.pool });
  }

  insertInvocations = (...a: Parameters<Store['insertInvocations']>): ReturnType<Store['insertInvocations']> => this.telemetry.insertInvocations(...a);
  queryRollups = (...a: Parameters<Store['queryRollups']>): ReturnType<Store['queryRollups']> => this.telemetry.queryRollups(...a);
  getInvocation = (...a: Parameters<Store['getInvocation']>): ReturnType<Store['getInvocation']> => this.telemetry.getInvocation(...a);
  listInvocations = (...a: Parameters<Store['listInvocations']>): ReturnType<Store['listInvocations']> => this.telemetry.listInvocations(...a);
  appendLogs = (...a: Parameters<Store['appendLogs']>): ReturnType<Store['appendLogs']> => this.telemetry.appendLogs(...a);
  queryLogs = (...a: Parameters<Store['queryLogs']>): ReturnType<Store['queryLogs']> => this.telemetry.queryLogs(...a);
  pruneBefore = (...a: Parameters<Store['pruneBefore']>): ReturnType<Store['pruneBefore']> => this.telemetry.pruneBefore(...a);

  override async close(): Promise<void> {
    await Promise.all([super.close(), this.telemetry.close()]);
  }
}

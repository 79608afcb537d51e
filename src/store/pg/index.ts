/**
 * The Store on PostgreSQL, for N nodes sharing one database (issue 11): the control-plane half
 * (control.ts) and the telemetry half (telemetry.ts) on the node's shared pool, which the backend
 * owns and ends (close() here stops nothing of the pool).
 */
import { migratePg, type PgPool } from '../../pg/index.js';
import { PgControlStore } from './control.js';
import { MIGRATIONS } from './schema.js';
import { PgTelemetryStore } from './telemetry.js';
import type { InvocationRecord, LogLine } from '../../domain/index.js';
import type { InvocationQuery, LogPage, LogQuery, MinuteRollup, RollupQuery, Store } from '../port.js';

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

/** Both halves in one object, as the node's `Store`; `telemetry` is the telemetry half alone. */
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

  insertInvocations(records: InvocationRecord[]): Promise<void> {
    return this.telemetry.insertInvocations(records);
  }
  queryRollups(query: RollupQuery): Promise<MinuteRollup[]> {
    return this.telemetry.queryRollups(query);
  }
  getInvocation(id: string): Promise<InvocationRecord | undefined> {
    return this.telemetry.getInvocation(id);
  }
  listInvocations(query: InvocationQuery): Promise<InvocationRecord[]> {
    return this.telemetry.listInvocations(query);
  }
  appendLogs(lines: LogLine[]): Promise<void> {
    return this.telemetry.appendLogs(lines);
  }
  queryLogs(query: LogQuery): Promise<LogPage> {
    return this.telemetry.queryLogs(query);
  }
  pruneBefore(epochMs: number): Promise<number> {
    return this.telemetry.pruneBefore(epochMs);
  }

  override async close(): Promise<void> {
    await Promise.all([super.close(), this.telemetry.close()]);
  }
}

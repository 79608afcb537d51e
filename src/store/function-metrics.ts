/**
 * Function metrics (EMF values functions print): appended in batches, read back per function as a
 * summary per metric and, for one metric, its latest values. Its own connection to the node's
 * database (WAL), as triggers and object storage have, and its own migrations.
 */
import type Database from 'better-sqlite3';
import { migrateSqlite } from './sqlite-migrate.js';

/**
 * Component `function_metrics` in `nimbus_migrations` (see sqlite-migrate.ts), apart from the
 * store's list: telemetry, not control plane, and written on a connection of its own. Store
 * migration 0010 created the table before the adapters owned their schemas: the first entry
 * repeats its definition with IF NOT EXISTS, so an existing data dir keeps its rows. Append, never edit.
 */
export const FUNCTION_METRICS_MIGRATIONS: readonly string[] = [
  // 0001 one row per value, kept as long as invocation records. Lenient affinity as the other
  // telemetry tables. dimensions: JSON object of the line's dimension values.
  `
  CREATE TABLE IF NOT EXISTS function_metrics (
    app           TEXT NOT NULL,
    function      TEXT NOT NULL,
    version       INTEGER NOT NULL,
    invocation_id TEXT,
    ts            INTEGER NOT NULL,
    namespace     TEXT NOT NULL,
    name          TEXT NOT NULL,
    unit          TEXT NOT NULL,
    value         REAL NOT NULL,
    dimensions    TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS function_metrics_name_ts ON function_metrics(app, function, name, ts);
  CREATE INDEX IF NOT EXISTS function_metrics_ts ON function_metrics(ts);
  `,
];

export interface FunctionMetricPoint {
  app: string;
  function: string;
  version: number;
  invocationId: string | null;
  /** Epoch ms. */
  ts: number;
  namespace: string;
  name: string;
  unit: string;
  value: number;
  dimensions: Record<string, string>;
}

/** One metric of a function over the queried window. */
export interface FunctionMetricSummary {
  namespace: string;
  name: string;
  unit: string;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  /** Epoch ms of the last value. */
  lastAt: number;
}

export interface FunctionMetricQuery {
  app: string;
  function: string;
  /** Only values at or after this epoch ms. */
  since: number;
  /** Only this metric name. */
  name?: string;
  /** Points: at most this many, newest first. */
  limit: number;
}

type PointRow = { app: string; function: string; version: number; invocation_id: string | null; ts: number; namespace: string; name: string; unit: string; value: number; dimensions: string };
type SummaryRow = { namespace: string; name: string; unit: string; count: number; sum: number; min: number; max: number; last: number; lastAt: number };

export class SqliteFunctionMetrics {
  private readonly insert;
  private readonly summarySql;
  private readonly pointsSql;
  private readonly pruneSql;
  private readonly deleteAppSql;
  private readonly appendAll;

  /** `db`: a connection to any SQLite file; the table is created when missing. */
  constructor(private readonly db: Database.Database) {
    migrateSqlite(db, 'function_metrics', FUNCTION_METRICS_MIGRATIONS);
    this.insert = db.prepare(`INSERT INTO function_metrics (app, function, version, invocation_id, ts, namespace, name, unit, value, dimensions)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    // `last` by its own lookup: beside several min()/max() aggregates, which row a bare column comes from is undefined.
    this.summarySql = db.prepare<{ app: string; fn: string; since: number; name: string | null }, SummaryRow>(`
      SELECT namespace, name, unit, count(*) AS count, sum(value) AS sum, min(value) AS min, max(value) AS max, max(ts) AS lastAt,
        (SELECT l.value FROM function_metrics l
          WHERE l.app = @app AND l.function = @fn AND l.name = f.name AND l.namespace = f.namespace AND l.unit = f.unit AND l.ts >= @since
          ORDER BY l.ts DESC, l.rowid DESC LIMIT 1) AS last
      FROM function_metrics f
      WHERE app = @app AND function = @fn AND ts >= @since AND (@name IS NULL OR name = @name)
      GROUP BY namespace, name, unit ORDER BY name, namespace, unit LIMIT 1000`);
    this.pointsSql = db.prepare<{ app: string; fn: string; since: number; name: string; limit: number }, PointRow>(`
      SELECT * FROM function_metrics WHERE app = @app AND function = @fn AND name = @name AND ts >= @since
      ORDER BY ts DESC, rowid DESC LIMIT @limit`);
    this.pruneSql = db.prepare('DELETE FROM function_metrics WHERE ts < ?');
    this.deleteAppSql = db.prepare('DELETE FROM function_metrics WHERE app = ?');
    this.appendAll = db.transaction((points: readonly FunctionMetricPoint[]) => {
      for (const p of points) this.insert.run(p.app, p.function, p.version, p.invocationId, p.ts, p.namespace, p.name, p.unit, p.value, JSON.stringify(p.dimensions));
    });
  }

  async append(points: readonly FunctionMetricPoint[]): Promise<void> {
    if (points.length > 0) this.appendAll(points);
  }

  async summary(q: Omit<FunctionMetricQuery, 'limit'>): Promise<FunctionMetricSummary[]> {
    return this.summarySql.all({ app: q.app, fn: q.function, since: q.since, name: q.name ?? null });
  }

  /** The latest values of one metric, newest first. */
  async points(q: FunctionMetricQuery & { name: string }): Promise<FunctionMetricPoint[]> {
    return this.pointsSql.all({ app: q.app, fn: q.function, since: q.since, name: q.name, limit: q.limit }).map((r) => ({
      app: r.app,
      function: r.function,
      version: r.version,
      invocationId: r.invocation_id,
      ts: r.ts,
      namespace: r.namespace,
      name: r.name,
      unit: r.unit,
      value: r.value,
      dimensions: JSON.parse(r.dimensions) as Record<string, string>,
    }));
  }

  async pruneBefore(ts: number): Promise<number> {
    return this.pruneSql.run(ts).changes;
  }

  async deleteApp(app: string): Promise<number> {
    return this.deleteAppSql.run(app).changes;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Function metrics (EMF values functions print) on PostgreSQL, for nodes sharing one database:
 * the same reads as SqliteFunctionMetrics, its own migrations (component 'function_metrics').
 * Each batch FunctionMetrics flushes is one INSERT (arrays unnested), however many values it holds.
 * `id` orders values of the same instant by arrival, as SQLite's rowid does.
 */
import { migratePg, type PgPool } from '../pg/index.js';
import type { FunctionMetricPoint, FunctionMetricQuery, FunctionMetricSummary } from './function-metrics.js';

/** Entry i is migration i + 1. Append, never edit. */
export const FUNCTION_METRICS_PG_MIGRATIONS: readonly string[] = [
  // dimensions: the line's dimension values (jsonb object). "C": names sort as on SQLite.
  `
  CREATE TABLE function_metrics (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app           text COLLATE "C" NOT NULL,
    function      text COLLATE "C" NOT NULL,
    version       integer NOT NULL,
    invocation_id text,
    ts            bigint NOT NULL,
    namespace     text COLLATE "C" NOT NULL,
    name          text COLLATE "C" NOT NULL,
    unit          text COLLATE "C" NOT NULL,
    value         double precision NOT NULL,
    dimensions    jsonb NOT NULL
  );
  CREATE INDEX function_metrics_name_ts ON function_metrics (app, function, name, ts);
  CREATE INDEX function_metrics_ts ON function_metrics (ts);
  `,
];

type PointRow = {
  app: string;
  function: string;
  version: number;
  invocation_id: string | null;
  ts: number;
  namespace: string;
  name: string;
  unit: string;
  value: number;
  dimensions: Record<string, string>;
};

/** PostgreSQL text and jsonb refuse U+0000, which a function's own output may contain. */
const clean = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);

export class PgFunctionMetrics {
  private constructor(private readonly pool: PgPool) {}

  /** `pool`: the node's shared pool (never ended here). */
  static async open(options: { pool: PgPool }): Promise<PgFunctionMetrics> {
    await migratePg(options.pool, 'function_metrics', FUNCTION_METRICS_PG_MIGRATIONS);
    return new PgFunctionMetrics(options.pool);
  }

  async append(points: readonly FunctionMetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    const col = <T>(f: (p: FunctionMetricPoint) => T): T[] => points.map(f);
    await this.pool.query(
      `INSERT INTO function_metrics (app, function, version, invocation_id, ts, namespace, name, unit, value, dimensions)
       SELECT a, f, v, i, t, ns, n, u, val, d::jsonb
       FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::text[])
         WITH ORDINALITY AS x(a, f, v, i, t, ns, n, u, val, d, o)
       ORDER BY o`,
      [
        col((p) => clean(p.app)),
        col((p) => clean(p.function)),
        col((p) => p.version),
        col((p) => (p.invocationId === null ? null : clean(p.invocationId))),
        col((p) => p.ts),
        col((p) => clean(p.namespace)),
        col((p) => clean(p.name)),
        col((p) => clean(p.unit)),
        col((p) => p.value),
        col((p) => JSON.stringify(Object.fromEntries(Object.entries(p.dimensions).map(([k, v]) => [clean(k), clean(v)])))),
      ],
    );
  }

  async summary(q: Omit<FunctionMetricQuery, 'limit'>): Promise<FunctionMetricSummary[]> {
    const { rows } = await this.pool.query<FunctionMetricSummary>(
      `SELECT namespace, name, unit, count(*)::int AS count, sum(value) AS sum, min(value) AS min, max(value) AS max, max(ts) AS "lastAt",
         (array_agg(value ORDER BY ts DESC, id DESC))[1] AS last
       FROM function_metrics
       WHERE app = $1 AND function = $2 AND ts >= $3 AND ($4::text IS NULL OR name = $4)
       GROUP BY namespace, name, unit ORDER BY name, namespace, unit LIMIT 1000`,
      [q.app, q.function, q.since, q.name ?? null],
    );
    // The same key order as SQLite's rows, so answers compare equal whichever store wrote them.
    return rows.map((r) => ({ namespace: r.namespace, name: r.name, unit: r.unit, count: r.count, sum: r.sum, min: r.min, max: r.max, last: r.last, lastAt: r.lastAt }));
  }

  /** The latest values of one metric, newest first. */
  async points(q: FunctionMetricQuery & { name: string }): Promise<FunctionMetricPoint[]> {
    const { rows } = await this.pool.query<PointRow>(`SELECT * FROM function_metrics WHERE app = $1 AND function = $2 AND name = $3 AND ts >= $4 ORDER BY ts DESC, id DESC LIMIT $5`, [
      q.app,
      q.function,
      q.name,
      q.since,
      q.limit,
    ]);
    return rows.map((r) => ({
      app: r.app,
      function: r.function,
      version: r.version,
      invocationId: r.invocation_id,
      ts: r.ts,
      namespace: r.namespace,
      name: r.name,
      unit: r.unit,
      value: r.value,
      dimensions: r.dimensions,
    }));
  }

  async pruneBefore(ts: number): Promise<number> {
    return (await this.pool.query('DELETE FROM function_metrics WHERE ts < $1', [ts])).rowCount ?? 0;
  }

  async deleteApp(app: string): Promise<number> {
    return (await this.pool.query('DELETE FROM function_metrics WHERE app = $1', [app])).rowCount ?? 0;
  }

  /** Nothing of its own to stop: the pool belongs to the backend. */
  close(): void {}
}

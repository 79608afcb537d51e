/**
 * The telemetry half of the Store on PostgreSQL: invocation records, their per-minute rollups and
 * log lines, in day partitions (partitions.ts).
 *
 * A record replaces the stored one with its id when it started at the same time or later. The key
 * holds the partition column (id, started_at), so the rule is kept here: a batch takes the
 * advisory lock (LOCK.invocation, hashtext(id)) of each of its ids, in sorted order (no deadlock
 * between two nodes), reads the stored records of those ids (any day: attempts of an event can
 * cross midnight), deletes those it replaces and inserts the winners, rollups in the same
 * transaction. Two nodes recording attempts of one event therefore never leave two rows.
 */
import type { InvocationRecord, LogLine } from '../../domain/index.js';
import { withTransaction, type PgPool } from '../../pg/index.js';
import type { InvocationQuery, LogPage, LogQuery, TelemetryStore } from '../port.js';
import { netChange, rollupDeltas, type MinuteRollup, type RollupQuery } from '../rollups.js';
import { clampLimit, INVOCATION_LIMIT, LOG_LIMIT, LOG_LINE_READ_CHARS, LOG_PAGE_BYTES, takeLogPage } from '../rules.js';
import * as rows from '../sqlite-rows.js';
import { DayPartitions } from './partitions.js';
import { applyRollups, queryRollups } from './rollups.js';
import { LOCK } from './schema.js';

const INVOCATION_COLUMNS: ReadonlyArray<[column: string, type: string, pick: (r: InvocationRecord) => unknown]> = [
  ['id', 'text', (r) => r.id],
  ['app', 'text', (r) => r.app],
  ['function', 'text', (r) => r.function],
  ['version', 'integer', (r) => Math.round(r.version)],
  ['trigger', 'text', (r) => r.trigger],
  ['started_at', 'bigint', (r) => Math.round(r.startedAt)],
  ['duration_ms', 'float8', (r) => r.durationMs],
  ['billed_ms', 'float8', (r) => r.billedMs],
  ['memory_mb', 'float8', (r) => r.memoryMb],
  ['max_memory_mb', 'float8', (r) => r.maxMemoryMb],
  ['cold_start', 'boolean', (r) => r.coldStart],
  ['init_ms', 'float8', (r) => r.initMs],
  ['status', 'text', (r) => r.status],
  ['error_code', 'text', (r) => r.errorCode],
  ['error_message', 'text', (r) => (r.errorMessage === null ? null : noNul(r.errorMessage))],
  ['http_status', 'integer', (r) => r.httpStatus],
  ['trace_id', 'text', (r) => r.traceId],
  ['response_bytes', 'bigint', (r) => (r.responseBytes === undefined ? null : Math.round(r.responseBytes))],
  ['node', 'text', (r) => r.node ?? null],
];

// unnest keeps the batch's order, so `ins` (the tie-breaker of equal start times) follows it.
const INSERT_INVOCATIONS = `INSERT INTO invocations (${INVOCATION_COLUMNS.map((c) => c[0]).join(', ')})
  SELECT * FROM unnest(${INVOCATION_COLUMNS.map((c, i) => `$${i + 1}::${c[1]}[]`).join(', ')})`;

const INSERT_LOGS = `INSERT INTO logs (invocation_id, app, function, version, ts, stream, line)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::bigint[], $6::text[], $7::text[])`;

// Only a line's first LOG_LINE_READ_CHARS are read out, and the server stops the page once the
// lines before a row hold over LOG_PAGE_BYTES (takeLogPage then cuts it exactly), so a page of
// megabyte lines never crosses the wire whole.
const logPageSql = (where: string): string => `SELECT seq, invocation_id, app, function, version, ts, stream, line, chars FROM (
    SELECT *, sum(octet_length(line)) OVER (ORDER BY seq) - octet_length(line) AS before_bytes FROM (
      SELECT seq, invocation_id, app, function, version, ts, stream, substr(line, 1, ${LOG_LINE_READ_CHARS}) AS line, char_length(line) AS chars
      FROM logs WHERE ${where} ORDER BY seq LIMIT $4
    ) page
  ) sized WHERE before_bytes <= ${LOG_PAGE_BYTES} ORDER BY seq`;
const LOGS_OF_FUNCTION = logPageSql('app = $1 AND function = $2 AND seq > $3');
const LOGS_OF_INVOCATION = logPageSql('app = $1 AND function = $2 AND seq > $3 AND invocation_id = $5');

type PgInvocationRow = Omit<rows.InvocationRow, 'cold_start'> & { cold_start: boolean };

const toInvocation = (row: PgInvocationRow): InvocationRecord => rows.toInvocation({ ...row, cold_start: row.cold_start ? 1 : 0 });

/** PostgreSQL text cannot hold NUL: a function that prints one must not fail the whole batch. */
function noNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

export interface PgTelemetryStoreOptions {
  pool: PgPool;
}

export class PgTelemetryStore implements TelemetryStore {
  readonly #pool: PgPool;
  readonly #partitions: DayPartitions;

  /** The schema must be migrated (PgStore.open does it). */
  constructor(options: PgTelemetryStoreOptions) {
    this.#pool = options.pool;
    this.#partitions = new DayPartitions(options.pool);
  }

  async insertInvocations(records: InvocationRecord[]): Promise<void> {
    if (records.length === 0) return;
    const times = records.map((r) => Math.round(r.startedAt));
    await this.#partitions.withRetry('invocations', times, () =>
      withTransaction(this.#pool, async (c) => {
        const ids = [...new Set(records.map((r) => r.id))];
        await c.query('SELECT pg_advisory_xact_lock($1, k) FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest($2::text[]) id ORDER BY k) locks', [LOCK.invocation, ids]);
        const { rows: held } = await c.query<PgInvocationRow>('SELECT * FROM invocations WHERE id = ANY($1::text[])', [ids]);
        const stored = new Map(held.map((row) => [row.id, toInvocation(row)]));
        const { added, replaced } = netChange(records, (id) => stored.get(id));
        await applyRollups(c, rollupDeltas(added, replaced));
        if (replaced.length > 0) await c.query('DELETE FROM invocations WHERE id = ANY($1::text[])', [replaced.map((r) => r.id)]);
        // netChange keeps the first position of an id; the batch's order is the insert order.
        const order = new Map(records.map((r, i) => [r, i]));
        const winners = added.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
        if (winners.length > 0)
          await c.query(
            INSERT_INVOCATIONS,
            INVOCATION_COLUMNS.map(([, , pick]) => winners.map(pick)),
          );
      }),
    );
  }

  queryRollups(query: RollupQuery): Promise<MinuteRollup[]> {
    return queryRollups(this.#pool, query);
  }

  async getInvocation(id: string): Promise<InvocationRecord | undefined> {
    const { rows: found } = await this.#pool.query<PgInvocationRow>('SELECT * FROM invocations WHERE id = $1 ORDER BY started_at DESC LIMIT 1', [id]);
    return found[0] && toInvocation(found[0]);
  }

  async listInvocations(query: InvocationQuery): Promise<InvocationRecord[]> {
    const before = query.before ?? Number.MAX_SAFE_INTEGER;
    const limit = clampLimit(query.limit, INVOCATION_LIMIT);
    const { rows: found } = await this.#pool.query<PgInvocationRow>('SELECT * FROM invocations WHERE app = $1 AND function = $2 AND started_at < $3 ORDER BY started_at DESC, ins DESC LIMIT $4', [
      query.app,
      query.function,
      before,
      limit,
    ]);
    return found.map(toInvocation);
  }

  /**
   * Seqs come from one sequence in the batch's order, so they grow within an invocation and across
   * nodes. Appends take one advisory lock until they commit, so lines commit in seq order: a
   * follower reading with afterSeq (`nimbus logs --follow`) never passes a line that commits later
   * with a smaller seq (two nodes appending at once). A batch is one INSERT; the lock costs a
   * round trip per flush.
   */
  async appendLogs(lines: LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    const times = lines.map((l) => Math.round(l.ts));
    await this.#partitions.withRetry('logs', times, () =>
      withTransaction(this.#pool, async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK.logs]);
        await c.query(INSERT_LOGS, [
          lines.map((l) => l.invocationId),
          lines.map((l) => l.app),
          lines.map((l) => l.function),
          lines.map((l) => Math.round(l.version)),
          times,
          lines.map((l) => l.stream),
          lines.map((l) => noNul(l.line)),
        ]);
      }),
    );
  }

  async queryLogs(query: LogQuery): Promise<LogPage> {
    const after = query.afterSeq ?? 0;
    const limit = clampLimit(query.limit, LOG_LIMIT);
    const args: unknown[] = [query.app, query.function, after, limit + 1];
    const { rows: found } =
      query.invocationId === undefined ? await this.#pool.query<rows.LogRow>(LOGS_OF_FUNCTION, args) : await this.#pool.query<rows.LogRow>(LOGS_OF_INVOCATION, [...args, query.invocationId]);
    return takeLogPage(found.map(rows.toLogLine), limit);
  }

  async pruneBefore(epochMs: number): Promise<number> {
    const records = await this.#partitions.prune('invocations', 'started_at', epochMs);
    return records + (await this.#partitions.prune('logs', 'ts', epochMs));
  }

  /** Nothing of its own to stop: the pool belongs to the backend. */
  async close(): Promise<void> {}
}

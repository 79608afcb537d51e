/**
 * Row shapes of the SQLite schema (see migrations.ts) and their mapping to domain types.
 * Booleans are stored as 0/1 and configs as JSON text.
 */
import type { FunctionConfig, FunctionRecord, FunctionVersion, InvocationRecord, InvocationStatus, LogLine, LogStream, TriggerKind } from '../domain/index.js';
import { withConfigDefaults } from '../domain/index.js';
import type { AppSummary } from './port.js';
import { cutLine } from './rules.js';

export interface AppRow {
  name: string;
  created_at: number;
  updated_at: number;
  functions: number;
}

export interface VersionRow {
  app: string;
  name: string;
  version: number;
  hash: string;
  code_hash: string;
  code_size: number;
  config: string;
  created_at: number;
}

/** A function joined with its active version. */
export interface FunctionRow {
  app: string;
  name: string;
  active_version: number;
  latest_version: number;
  created_at: number;
  updated_at: number;
  hash: string;
  code_hash: string;
  code_size: number;
  config: string;
  v_created_at: number;
}

export interface InvocationRow {
  id: string;
  app: string;
  function: string;
  version: number;
  trigger: string;
  started_at: number;
  duration_ms: number;
  billed_ms: number;
  memory_mb: number;
  max_memory_mb: number | null;
  cold_start: number;
  init_ms: number | null;
  status: string;
  error_code: string | null;
  error_message: string | null;
  http_status: number | null;
  trace_id: string | null;
  response_bytes?: number | null;
  node?: string | null;
}

export interface LogRow {
  seq: number;
  invocation_id: string | null;
  app: string;
  function: string;
  version: number;
  ts: number;
  stream: string;
  /** At most LOG_LINE_READ_CHARS characters of the line (see sqlite.ts). */
  line: string;
  /** The stored line's length in characters. */
  chars: number;
}

export function toAppSummary(row: AppRow): AppSummary {
  return { app: row.name, functions: row.functions, createdAt: row.created_at, updatedAt: row.updated_at };
}

export function toVersion(row: VersionRow): FunctionVersion {
  return {
    app: row.app,
    name: row.name,
    version: row.version,
    hash: row.hash,
    codeHash: row.code_hash,
    codeSize: row.code_size,
    // Written only by deployApp from a validated config, so trusted on the way back; configs
    // stored before a setting existed get its default.
    config: withConfigDefaults(JSON.parse(row.config) as FunctionConfig),
    createdAt: row.created_at,
  };
}

export function toFunctionRecord(row: FunctionRow): FunctionRecord {
  return {
    app: row.app,
    name: row.name,
    activeVersion: row.active_version,
    latestVersion: row.latest_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    active: toVersion({
      app: row.app,
      name: row.name,
      version: row.active_version,
      hash: row.hash,
      code_hash: row.code_hash,
      code_size: row.code_size,
      config: row.config,
      created_at: row.v_created_at,
    }),
  };
}

/** Positional parameters in the column order of the insert statement (positional binds fastest). */
export function invocationParams(r: InvocationRecord): unknown[] {
  return [
    r.id,
    r.app,
    r.function,
    r.version,
    r.trigger,
    r.startedAt,
    r.durationMs,
    r.billedMs,
    r.memoryMb,
    r.maxMemoryMb,
    r.coldStart ? 1 : 0,
    r.initMs,
    r.status,
    r.errorCode,
    r.errorMessage,
    r.httpStatus,
    r.traceId,
    r.responseBytes ?? null,
    r.node ?? null,
  ];
}

export function toInvocation(row: InvocationRow): InvocationRecord {
  return {
    id: row.id,
    app: row.app,
    function: row.function,
    version: row.version,
    trigger: row.trigger as TriggerKind,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    billedMs: row.billed_ms,
    memoryMb: row.memory_mb,
    maxMemoryMb: row.max_memory_mb,
    coldStart: row.cold_start === 1,
    initMs: row.init_ms,
    status: row.status as InvocationStatus,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    httpStatus: row.http_status,
    traceId: row.trace_id ?? null,
    ...(row.response_bytes == null ? {} : { responseBytes: row.response_bytes }),
    ...(row.node == null ? {} : { node: row.node }),
  };
}

export function toLogLine(row: LogRow): LogLine {
  return {
    seq: row.seq,
    invocationId: row.invocation_id,
    app: row.app,
    function: row.function,
    version: row.version,
    ts: row.ts,
    stream: row.stream as LogStream,
    line: cutLine(row.line, row.chars),
  };
}

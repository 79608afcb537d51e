/**
 * The state store port: everything Nimbus keeps durably. The embedded default is SQLite
 * (`sqlite.ts`); `memory.ts` serves unit tests; a PostgreSQL adapter can implement the same
 * interface later. Every implementation runs the one contract suite in `contract.ts`.
 *
 * Methods are async so a networked backend fits; the SQLite adapter answers synchronously inside.
 */
import type { AliasRecord, ApiKeyRecord, AuditEntry, CanaryRecord, FunctionConfig, FunctionRecord, FunctionVersion, InvocationRecord, LogLine } from '../domain/index.js';
import type { MinuteRollup, RollupQuery } from './rollups.js';

export type { MinuteRollup, RollupQuery } from './rollups.js';

/** One function of an app deploy, as the server computed it. */
export interface DeployFunctionInput {
  name: string;
  config: FunctionConfig;
  /** The bundled JavaScript (ESM). */
  code: string;
  codeHash: string;
  /** sha256 over codeHash + canonical config JSON. */
  hash: string;
}

export interface DeployFunctionResult {
  name: string;
  version: number;
  /** False when the function's hash equals its active version's: no version was created. */
  created: boolean;
}

export interface DeployAppResult {
  app: string;
  functions: DeployFunctionResult[];
  /** Functions that were in the app before and are not in this deploy (now deleted). */
  removed: string[];
}

export interface DeployOptions {
  /**
   * A canary deploy: functions that already exist get their new version but keep their active
   * one (promotion is a later setActiveVersion); new functions are active at once.
   */
  keepActive?: boolean;
}

export interface AppSummary {
  app: string;
  functions: number;
  createdAt: number;
  updatedAt: number;
}

export interface InvocationQuery {
  app: string;
  function: string;
  /** Newest first; at most this many (default 50, max 1000). */
  limit?: number;
  /** Only records started before this epoch ms (paging). */
  before?: number;
}

export interface LogQuery {
  app: string;
  function: string;
  invocationId?: string;
  /** Only lines with seq greater than this (for `--follow`). */
  afterSeq?: number;
  /** At most this many lines (default and max 1000; more is clamped), oldest first; a page also stops at ~1 MB of text. */
  limit?: number;
}

export interface LogPage {
  /** Oldest first. Lines over 64 K characters are cut, with a note (see rules.ts). */
  lines: LogLine[];
  /** More lines follow: ask again with afterSeq = the last line's seq. */
  more: boolean;
}

export interface AuditQuery {
  /** Only entries of this app. */
  app?: string;
  /** Only entries of these apps (an app-limited key's view); entries of no app are left out. */
  apps?: string[];
  /** Leave out entries of no app (key management): what a key that is not admin may see. */
  appsOnly?: boolean;
  /** Only entries at or after this epoch ms. */
  since?: number;
  /** Newest first; at most this many (default 100, max 1000). */
  limit?: number;
}

/**
 * The control-plane half: apps, functions, versions and their bundles, API keys and the audit
 * trail, aliases and canaries. Small, read on every deploy and at start-up, never on the hot path
 * (the deploy layer keeps the active versions in memory).
 */
export interface ControlStore {
  /**
   * Atomically make `functions` the app's whole set: create a version for each function whose
   * hash differs from its active version, make every new version active, and delete functions
   * of the app that are not listed. All or nothing. Creates the app if new.
   */
  deployApp(app: string, functions: DeployFunctionInput[], options?: DeployOptions): Promise<DeployAppResult>;
  listApps(): Promise<AppSummary[]>;
  /** Every function (of one app when given), with its active version. */
  listFunctions(app?: string): Promise<FunctionRecord[]>;
  getFunction(app: string, name: string): Promise<FunctionRecord | undefined>;
  /** Delete a function with all its versions. False if it did not exist. */
  deleteFunction(app: string, name: string): Promise<boolean>;
  /** Delete an app with all its functions. False if it did not exist. */
  deleteApp(app: string): Promise<boolean>;
  /** Oldest first. */
  listVersions(app: string, name: string): Promise<FunctionVersion[]>;
  getVersion(app: string, name: string, version: number): Promise<FunctionVersion | undefined>;
  /** The bundle for a code hash. */
  getCode(codeHash: string): Promise<string | undefined>;
  /** Point the function at an existing version (rollback). Throws VERSION_NOT_FOUND / FUNCTION_NOT_FOUND. */
  setActiveVersion(app: string, name: string, version: number): Promise<FunctionRecord>;

  /** Store a new key. BAD_REQUEST when a live key has the same name. */
  createKey(key: ApiKeyRecord): Promise<void>;
  /** Every key, revoked ones included, oldest first. */
  listKeys(): Promise<ApiKeyRecord[]>;
  /** The key whose HMAC is `hash` (revoked and expired ones too: the caller decides). */
  findKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  /** The key with these AWS credentials (`--aws`; revoked and expired ones too: the caller decides). */
  findKeyByAccessKeyId(accessKeyId: string): Promise<ApiKeyRecord | undefined>;
  /** Replace the sealed AWS secrets of these keys in one transaction (master key rotation). */
  resealKeySecrets(rows: Array<{ id: string; sealedSecret: string }>): Promise<void>;
  /** Revoke the live key with this id or name; undefined when there is none. */
  revokeKey(idOrName: string, at: number): Promise<ApiKeyRecord | undefined>;
  touchKey(id: string, at: number): Promise<void>;
  /** Append one audit entry (its seq is assigned by the store). */
  appendAudit(entry: Omit<AuditEntry, 'seq'>): Promise<void>;
  /** Newest first. */
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
  /** Delete audit entries older than `before` (epoch ms); returns how many. */
  pruneAudit(before: number): Promise<number>;

  /**
   * Create or replace an alias. Throws FUNCTION_NOT_FOUND, or VERSION_NOT_FOUND when `version` or
   * `weighted.version` is not a version of the function. Returns it as stored.
   */
  setAlias(alias: Omit<AliasRecord, 'createdAt' | 'updatedAt'>): Promise<AliasRecord>;
  /** The aliases of one function, or of every function of an app, or all; by function then name. */
  listAliases(app?: string, fn?: string): Promise<AliasRecord[]>;
  /** False if it did not exist. Aliases also go when their function or app is deleted. */
  deleteAlias(app: string, fn: string, name: string): Promise<boolean>;
  /** Store an app's canary record, replacing the app's previous one. The app must exist. */
  saveCanary(canary: CanaryRecord): Promise<void>;
  getCanary(app: string): Promise<CanaryRecord | undefined>;
  /**
   * Store a running canary's counts (its `functions`), only while the app's stored canary is that
   * one (running, same `startedAt`): false when it ended or was replaced meanwhile, so a late
   * checkpoint never brings an ended canary back.
   */
  checkpointCanary(canary: CanaryRecord): Promise<boolean>;
  /** Canaries still running (a restarted node resumes them). */
  runningCanaries(): Promise<CanaryRecord[]>;

  close(): Promise<void>;
}

/**
 * The telemetry half: invocation records, their per-minute rollups and log lines. Written in
 * batches off the hot path (TelemetryWriter), large, pruned by age. A backend may keep it apart
 * from the control plane (another connection, a worker thread, partitions by day).
 */
export interface TelemetryStore {
  /**
   * Store a batch of invocation records in one transaction. A record whose id is already stored
   * replaces it when it started at the same time or later (the attempts of an async event share
   * its id: the latest attempt wins); an older one is ignored. The per-minute rollups
   * (rollups.ts) are updated in the same transaction.
   */
  insertInvocations(records: InvocationRecord[]): Promise<void>;
  /** Per-minute rollups of the stored records, oldest minute first. Not pruned with the records. */
  queryRollups(query: RollupQuery): Promise<MinuteRollup[]>;
  getInvocation(id: string): Promise<InvocationRecord | undefined>;
  listInvocations(query: InvocationQuery): Promise<InvocationRecord[]>;
  /** Append a batch of log lines in one transaction (their seq is assigned by the store). */
  appendLogs(lines: LogLine[]): Promise<void>;
  /** One bounded page, oldest first (see LogQuery.limit). */
  queryLogs(query: LogQuery): Promise<LogPage>;
  /** Delete invocation records and log lines older than this epoch ms. Returns rows deleted. */
  pruneBefore(epochMs: number): Promise<number>;

  close(): Promise<void>;
}

/** Everything Nimbus keeps durably about functions: both halves (one adapter may implement both). */
export interface Store extends ControlStore, TelemetryStore {
  close(): Promise<void>;
}

/**
 * Rows of the control-plane tables (api_keys, audit, aliases, canaries) as both SQL adapters read
 * them (SQLite and PostgreSQL name and type these columns alike), and their domain records.
 */
import type { AliasRecord, ApiKeyRecord, AuditEntry, CanaryFunction, CanaryRecord, CanaryState, KeySecretKind, Scope } from '../domain/index.js';

export interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  scope: string;
  apps: string;
  hash: string;
  secret_kind: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  aws_access_key_id: string | null;
  aws_sealed_secret: string | null;
}

export interface AuditRow {
  seq: number;
  ts: number;
  key_id: string;
  key_name: string;
  action: string;
  app: string | null;
  target: string | null;
  outcome: string;
}

export function toKey(r: KeyRow): ApiKeyRecord {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scope: r.scope as Scope,
    apps: JSON.parse(r.apps) as string[],
    hash: r.hash,
    secretKind: r.secret_kind as KeySecretKind,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
    ...(r.aws_access_key_id !== null && r.aws_sealed_secret !== null ? { aws: { accessKeyId: r.aws_access_key_id, sealedSecret: r.aws_sealed_secret } } : {}),
  };
}

export function toAudit(r: AuditRow): AuditEntry {
  return { seq: r.seq, ts: r.ts, keyId: r.key_id, keyName: r.key_name, action: r.action, app: r.app, target: r.target, outcome: r.outcome };
}

export interface AliasRow {
  app: string;
  function: string;
  name: string;
  version: number;
  weighted_version: number | null;
  weighted_weight: number | null;
  created_at: number;
  updated_at: number;
}

export interface CanaryRow {
  app: string;
  state: string;
  weight: number;
  started_at: number;
  ends_at: number;
  max_error_rate: number;
  functions: string;
  reason: string | null;
  finished_at: number | null;
}

export function toAlias(r: AliasRow): AliasRecord {
  return {
    app: r.app,
    function: r.function,
    name: r.name,
    version: r.version,
    weighted: r.weighted_version === null || r.weighted_weight === null ? null : { version: r.weighted_version, weight: r.weighted_weight },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toCanary(r: CanaryRow): CanaryRecord {
  return {
    app: r.app,
    state: r.state as CanaryState,
    weight: r.weight,
    startedAt: r.started_at,
    endsAt: r.ends_at,
    maxErrorRate: r.max_error_rate,
    functions: JSON.parse(r.functions) as CanaryFunction[],
    reason: r.reason,
    finishedAt: r.finished_at,
  };
}

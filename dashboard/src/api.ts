/** The control API as the dashboard calls it: the key lives in sessionStorage and goes in a header, never the URL. */
import type { StatsAnswer, StatsPoint } from '../../src/domain/stats.js';

const KEY = 'nimbus.key';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  signIn: (key: string) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; key?: string } = {}): Promise<T> {
  const key = init.key ?? session.key() ?? '';
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${key}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(res.status, json.error?.code ?? 'ERROR', json.error?.message ?? `HTTP ${res.status}`);
  return json as T;
}

// The stats answer as the server writes it (src/domain/stats.ts: one set of types for server, client and dashboard).
export type Totals = StatsPoint;
export type Stats = StatsAnswer;
export interface FunctionView {
  app: string;
  name: string;
  activeVersion: number;
  latestVersion: number;
  updatedAt: number;
  codeSize: number;
  config: Record<string, unknown> & { triggers: Array<{ type: string }> };
  routes: string[];
  instances: { total: number; busy: number; idle: number };
}
export interface Invocation {
  id: string;
  app: string;
  function: string;
  version: number;
  trigger: string;
  startedAt: number;
  durationMs: number;
  memoryMb: number;
  coldStart: boolean;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
}
export interface LogLine {
  seq: number;
  ts: number;
  stream: string;
  line: string;
}
export interface DeadEvent {
  id: string;
  source: string;
  attempts: number;
  deadAt: number;
  lastError: string | null;
  reason: string;
  payload: unknown;
}

export type Range = '1h' | '24h';
/** `/v1/stats` query for a range: one-minute buckets over an hour, 5-minute ones over a day (the API takes 60, 300 or 3600 s). */
export function statsQuery(range: Range, extra: Record<string, string> = {}): string {
  const hours = range === '24h' ? 24 : 1;
  const q = new URLSearchParams({ since: String(Date.now() - hours * 3600_000), step: String(range === '24h' ? 300 : 60), ...extra });
  return `/v1/stats?${q}`;
}

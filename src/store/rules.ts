/**
 * Rules every Store adapter applies identically, kept in one place so the contract suite can
 * hold them all to the same answers.
 */
import { NimbusError } from '../shared/errors.js';
import type { DeployFunctionInput } from './port.js';

export interface LimitBounds {
  readonly default: number;
  readonly max: number;
}

export const INVOCATION_LIMIT: LimitBounds = { default: 50, max: 1000 };
export const LOG_LIMIT: LimitBounds = { default: 1000, max: 10_000 };

/**
 * The page size to use: the default when absent, otherwise clamped into 1..max.
 * A raw negative would mean "no limit" to SQLite, so it must never reach the query.
 */
export function clampLimit(limit: number | undefined, bounds: LimitBounds): number {
  if (limit === undefined || !Number.isFinite(limit)) return bounds.default;
  return Math.min(bounds.max, Math.max(1, Math.trunc(limit)));
}

/** A deploy naming one function twice has no meaning (which config wins?), so refuse it. */
export function assertUniqueNames(app: string, functions: readonly DeployFunctionInput[]): void {
  const seen = new Set<string>();
  for (const fn of functions) {
    if (seen.has(fn.name)) {
      throw new NimbusError('BAD_REQUEST', `deploy of app "${app}" lists function "${fn.name}" twice: give each function a unique name`);
    }
    seen.add(fn.name);
  }
}

/** Bundle size in bytes, as FunctionVersion.codeSize reports it. */
export function byteLength(code: string): number {
  return Buffer.byteLength(code, 'utf8');
}

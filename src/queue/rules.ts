/** Limits and retention shared by every EventQueue implementation (the contract suite checks them). */

/** Idempotency keys dedupe enqueues for this long. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/** `listDead` returns this many by default, and never more than DEAD_LIMIT_MAX. */
export const DEAD_LIMIT_DEFAULT = 100;
export const DEAD_LIMIT_MAX = 1000;

export function clampDeadLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEAD_LIMIT_DEFAULT;
  return Math.min(DEAD_LIMIT_MAX, Math.max(1, Math.floor(limit)));
}

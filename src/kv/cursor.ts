/**
 * Rules every KvStore shares: list cursors (opaque: the last key returned, base64url) and page
 * sizes. Keys sort by their UTF-8 bytes (SQLite's BINARY collation), in every implementation.
 */
export const DEFAULT_LIST_LIMIT = 1000;
export const MAX_LIST_LIMIT = 1000;

export function encodeCursor(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

/** The key to list after; '' (before every key) for a missing or unreadable cursor. */
export function decodeCursor(cursor: string | undefined): string {
  if (!cursor) return '';
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

export function listLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIST_LIMIT;
  return Math.min(MAX_LIST_LIMIT, Math.max(1, Math.floor(limit)));
}

/** Byte order of UTF-8, which differs from JS string order for astral characters. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Epoch ms a value put now with `ttlSeconds` expires at; null = never. */
export function expiresAt(now: number, ttlSeconds: number | undefined): number | null {
  return ttlSeconds === undefined ? null : now + Math.round(ttlSeconds * 1000);
}

import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48 bits of epoch ms, then random bits. Invocation ids are time-ordered so
 * the store's indexes grow at their right edge: inserting records keyed by random v4 ids cost
 * ~2.5x more CPU per invocation (measured with better-sqlite3, 120k rows).
 */
export function uuidv7(now = Date.now()): string {
  const random = randomUUID();
  const t = now.toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${random.slice(15)}`;
}

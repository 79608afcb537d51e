import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';

/** Read the admin key, creating it (mode 0600) on first start. */
export function ensureAdminKey(file: string): string {
  try {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length > 0) return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = `nmb_${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(file, 0o600);
  return key;
}

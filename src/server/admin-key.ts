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

/**
 * The secret API keys are HMACed with (32 random bytes, mode 0600), created on first start. Kept
 * in its own file rather than derived from admin.key, so that replacing the admin key does not
 * invalidate every API key, and a copy of the database alone cannot be used to check guesses.
 */
export function ensureKeySecret(file: string): Buffer {
  try {
    const secret = readFileSync(file);
    if (secret.length >= 32) return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32);
  writeFileSync(file, secret, { mode: 0o600, flag: 'w' });
  chmodSync(file, 0o600);
  return secret;
}

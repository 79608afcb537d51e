/**
 * Which master key a node uses, and the check that it is the right one.
 *
 *   NIMBUS_MASTER_KEY (passed in as `NimbusOptions.masterKey`)  ─▶ that key (never written anywhere)
 *   else <data-dir>/master.key (mode 0600)                       ─▶ its key; created on the first start
 *
 * The key is never stored in the database; a key check value is (crypto.ts). A key that does not
 * verify refuses the start with MASTER_KEY_INVALID instead of serving garbage. A missing master.key
 * while the database holds a check value is refused too (a new key would orphan every secret).
 *
 * Rotation with the file (service.ts) writes `master.key.next` first, then commits the re-encrypted
 * rows, then renames it over `master.key`: a crash between the commit and the rename leaves a
 * `.next` that verifies, and the next start completes the rename here.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NimbusError } from '../shared/errors.js';
import { keyCheck, newMasterKey, parseMasterKey, verifyKeyCheck } from './crypto.js';
import type { SecretStore } from './port.js';

export interface MasterKey {
  key: Buffer;
  /** `option`: NIMBUS_MASTER_KEY; `file`: `file` holds it. */
  source: 'option' | 'file';
  file: string;
}

export const MASTER_KEY_FILE = 'master.key';

/** The node's master key, checked against the store (and the check value written on first use). */
export async function resolveMasterKey(options: { dataDir: string; masterKey?: string | undefined; store: SecretStore }): Promise<MasterKey> {
  const file = join(options.dataDir, MASTER_KEY_FILE);
  const check = await options.store.getKeyCheck();
  let mk: MasterKey;
  if (options.masterKey !== undefined) {
    mk = { key: parseMasterKey(options.masterKey, 'NIMBUS_MASTER_KEY'), source: 'option', file };
  } else if (existsSync(file)) {
    mk = { key: parseMasterKey(readFileSync(file, 'utf8'), file), source: 'file', file };
  } else if (check !== undefined) {
    throw new NimbusError('MASTER_KEY_INVALID', `${file} is missing but the database holds secrets encrypted under a master key: restore the file (or set NIMBUS_MASTER_KEY to that key)`);
  } else {
    const key = newMasterKey();
    writeKeyFile(file, key);
    mk = { key, source: 'file', file };
  }
  if (check === undefined) {
    await options.store.setKeyCheck(keyCheck(mk.key));
    return mk;
  }
  if (verifyKeyCheck(mk.key, check)) return mk;
  const next = `${file}.next`;
  if (mk.source === 'file' && existsSync(next)) {
    const key = parseMasterKey(readFileSync(next, 'utf8'), next);
    if (verifyKeyCheck(key, check)) {
      // A rotation committed but did not get to rename its key file: finish it.
      renameSync(next, file);
      return { key, source: 'file', file };
    }
  }
  const from = mk.source === 'option' ? 'NIMBUS_MASTER_KEY' : file;
  throw new NimbusError(
    'MASTER_KEY_INVALID',
    `the master key from ${from} is not the key this data dir's secrets were encrypted with; start with the right key ` +
      '(after `nimbus secret rotate-master` with NIMBUS_MASTER_KEY, set it to the new key)',
  );
}

/** Write a key file readable by its owner only; `exclusive`: fail if it exists. */
export function writeKeyFile(file: string, key: Buffer, exclusive = true): void {
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: exclusive ? 'wx' : 'w' });
}

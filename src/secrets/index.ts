/** Public surface of the secrets subsystem: encrypted app secrets and the one way to read them. */
export type { SecretSource } from './source.js';
export type { SecretRow, SecretStore } from './port.js';
export { Secrets, MAX_SECRET_BYTES, missing as secretMissing, type SecretInfo, type SecretsOptions } from './service.js';
export { SqliteSecretStore } from './sqlite.js';
export { MemorySecretStore } from './memory.js';
export { resolveMasterKey, MASTER_KEY_FILE, type MasterKey } from './master-key.js';
export { parseMasterKey, newMasterKey } from './crypto.js';
export { SecretMasker, MASK } from './mask.js';
export { functionSecretRefs, referencedSecrets, secretRefs, type SecretRef } from './refs.js';
export { PgSecretStore } from './pg.js';

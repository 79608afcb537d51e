/**
 * The `SecretStore` port: where ciphertexts live. It never sees a plaintext or the master key;
 * the `Secrets` service (service.ts) seals and opens values. Implementations: `SqliteSecretStore`
 * (owns its table and migrations, like the event queue) and `MemorySecretStore` (unit tests); both
 * run the one contract suite in contract.ts.
 */
import type { Sealed } from './crypto.js';

export interface SecretRow {
  app: string;
  name: string;
  sealed: Sealed;
  /** Epoch ms of the last `put`. */
  updatedAt: number;
}

export interface SecretStore {
  get(app: string, name: string): Promise<SecretRow | undefined>;
  /** The app's secrets ordered by name. */
  list(app: string): Promise<SecretRow[]>;
  /** Every secret of every app (master-key rotation). */
  all(): Promise<SecretRow[]>;
  /** Insert or replace. */
  put(row: SecretRow): Promise<void>;
  /** Whether a row was there. */
  delete(app: string, name: string): Promise<boolean>;
  /** The stored key check value (undefined on a fresh store). */
  getKeyCheck(): Promise<Sealed | undefined>;
  setKeyCheck(check: Sealed): Promise<void>;
  /**
   * Master-key rotation in ONE transaction: every row's `sealed` replaced and the key check
   * value with it, or nothing at all. `rows` must cover exactly the rows of `all()`.
   */
  rewrap(rows: SecretRow[], check: Sealed): Promise<void>;
  close(): Promise<void>;
}

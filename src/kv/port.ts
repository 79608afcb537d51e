/** Key-value namespaces for functions (`bindings: { X: { kv: name } }`). SQLite by default. */
export interface KvListResult {
  /** In UTF-8 byte order of the names. `expiration`: epoch ms, null = never. */
  keys: Array<{ name: string; expiration: number | null }>;
  /** Pass as `cursor` for the next page; null when there is none. */
  cursor: string | null;
}

export interface KvStore {
  /** The value, or null when missing or expired. */
  get(namespace: string, key: string): Promise<string | null>;
  /** `ttlSeconds`: the value expires that many seconds from now (≥ 1). */
  put(namespace: string, key: string, value: string, options?: { ttlSeconds?: number }): Promise<void>;
  delete(namespace: string, key: string): Promise<void>;
  list(namespace: string, options?: { prefix?: string; cursor?: string; limit?: number }): Promise<KvListResult>;
  /**
   * Bytes `app` stores (UTF-8 key + value of every row of its '<app>/…' namespaces, expired rows
   * until swept). A put that would take it over the store's quota fails with QUOTA_EXCEEDED.
   */
  usage(app: string): Promise<number>;
  /**
   * Drop a whole namespace; returns how many values it held. For when no app names it any more:
   * the next app to claim the name must not read the old owner's data.
   */
  deleteNamespace(namespace: string): Promise<number>;
  close(): Promise<void>;
}

export const MAX_KV_KEY_BYTES = 512;
export const MAX_KV_VALUE_BYTES = 1024 * 1024;

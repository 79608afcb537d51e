/**
 * The per-node cache of bundles: a code hash never changes its content, so once read a bundle can
 * be served from memory for good, and N nodes do not refetch it on every instance start. Bounded
 * by total characters, least recently used out first. Entries of bundles this node garbage-
 * collected are dropped; other nodes may keep serving a collected bundle from memory, which is
 * harmless (same content) and ends with their cache's eviction or restart.
 */
export class CodeCache {
  readonly #entries = new Map<string, string>();
  #chars = 0;

  constructor(private readonly maxChars: number = 64 * 1024 * 1024) {}

  get(hash: string): string | undefined {
    const code = this.#entries.get(hash);
    if (code !== undefined) {
      // Re-insert: Map order is the recency order.
      this.#entries.delete(hash);
      this.#entries.set(hash, code);
    }
    return code;
  }

  set(hash: string, code: string): void {
    if (code.length > this.maxChars) return;
    this.delete(hash);
    this.#entries.set(hash, code);
    this.#chars += code.length;
    for (const [oldest, held] of this.#entries) {
      if (this.#chars <= this.maxChars) break;
      this.#entries.delete(oldest);
      this.#chars -= held.length;
    }
  }

  delete(hash: string): void {
    const held = this.#entries.get(hash);
    if (held === undefined) return;
    this.#entries.delete(hash);
    this.#chars -= held.length;
  }

  /** How many bundles are held (tests). */
  get size(): number {
    return this.#entries.size;
  }
}

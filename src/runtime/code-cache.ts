/**
 * Bundles by code hash, kept in memory up to a byte budget (least recently used out first), so a
 * cold start usually costs no store read, and 1,000 deployed functions do not all sit in memory.
 */
export class CodeCache {
  private readonly entries = new Map<string, string>();
  private bytes = 0;

  constructor(
    private readonly load: (codeHash: string) => Promise<string | undefined>,
    private readonly budgetBytes = 32 * 1024 * 1024,
  ) {}

  async get(codeHash: string): Promise<string | undefined> {
    const hit = this.entries.get(codeHash);
    if (hit !== undefined) {
      this.entries.delete(codeHash);
      this.entries.set(codeHash, hit);
      return hit;
    }
    const code = await this.load(codeHash);
    if (code !== undefined) this.put(codeHash, code);
    return code;
  }

  put(codeHash: string, code: string): void {
    if (this.entries.has(codeHash)) return;
    this.entries.set(codeHash, code);
    this.bytes += code.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
  }
}

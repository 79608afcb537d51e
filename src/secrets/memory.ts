/** In-memory `SecretStore` for unit tests: same contract as the SQLite adapter. */
import type { Sealed } from './crypto.js';
import type { SecretRow, SecretStore } from './port.js';

export class MemorySecretStore implements SecretStore {
  private readonly rows = new Map<string, SecretRow>();
  private check: Sealed | undefined;

  async get(app: string, name: string): Promise<SecretRow | undefined> {
    const row = this.rows.get(key(app, name));
    return row && copy(row);
  }

  async list(app: string): Promise<SecretRow[]> {
    return [...this.rows.values()]
      .filter((r) => r.app === app)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map(copy);
  }

  async all(): Promise<SecretRow[]> {
    return [...this.rows.values()].map(copy);
  }

  async put(row: SecretRow): Promise<void> {
    this.rows.set(key(row.app, row.name), copy(row));
  }

  async delete(app: string, name: string): Promise<boolean> {
    return this.rows.delete(key(app, name));
  }

  async getKeyCheck(): Promise<Sealed | undefined> {
    return this.check && { ...this.check };
  }

  async setKeyCheck(check: Sealed): Promise<void> {
    this.check = { ...check };
  }

  async rewrap(rows: SecretRow[], check: Sealed): Promise<void> {
    // Validate first so that a bad list changes nothing (the SQLite adapter rolls back).
    if (rows.length !== this.rows.size || rows.some((r) => !this.rows.has(key(r.app, r.name)))) throw new Error('rewrap must cover exactly the stored secrets');
    for (const r of rows) this.rows.set(key(r.app, r.name), copy(r));
    this.check = { ...check };
  }

  async close(): Promise<void> {}
}

function key(app: string, name: string): string {
  return `${app}\0${name}`;
}

function copy(row: SecretRow): SecretRow {
  return { ...row, sealed: { ...row.sealed } };
}

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { secretStoreContract } from './contract.js';
import { SqliteSecretStore } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'nimbus-secrets-'));
let files = 0;
const nextFile = (): string => join(dir, `s-${++files}.db`);
after(() => rmSync(dir, { recursive: true, force: true }));

secretStoreContract('SqliteSecretStore', () => SqliteSecretStore.open({ file: nextFile() }));

describe('SqliteSecretStore', () => {
  it('keeps rows across a reopen and migrates only once', async () => {
    const file = nextFile();
    const a = SqliteSecretStore.open({ file });
    await a.put({ app: 'shop', name: 'db', sealed: { iv: 'i', data: 'd', tag: 't' }, updatedAt: 5 });
    await a.close();
    const b = SqliteSecretStore.open({ file });
    assert.equal((await b.get('shop', 'db'))?.updatedAt, 5);
    await b.close();
  });
});

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseEnvDev } from './env-file.js';

describe('.env.dev', () => {
  it('reads NAME=value lines, skipping comments and blanks, unquoting values', () => {
    const text = '# database\n\nDB_URL=postgres://u:p@h/db?x=1\nexport API_KEY = "a b # c"\nstripe-key=\'sk_test\'\nEMPTY=\n';
    assert.deepEqual(parseEnvDev(text), { DB_URL: 'postgres://u:p@h/db?x=1', API_KEY: 'a b # c', 'stripe-key': 'sk_test', EMPTY: '' });
  });

  it('names the line of a bad entry but never echoes its value', () => {
    assert.throws(
      () => parseEnvDev('OK=1\nthis-is-my-password\n', '/app/.env.dev'),
      (err: Error & { code?: string }) => err.code === 'BAD_REQUEST' && err.message.startsWith('/app/.env.dev:2: expected NAME=value') && !err.message.includes('password'),
    );
  });
});

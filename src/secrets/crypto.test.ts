import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { NimbusError } from '../shared/errors.js';
import { keyCheck, newMasterKey, open, parseMasterKey, seal, secretAad, verifyKeyCheck } from './crypto.js';

const key = newMasterKey();
const aad = secretAad('shop', 'db-password');

const flip = (b64: string): string => {
  const b = Buffer.from(b64, 'base64');
  b[0] = b[0]! ^ 1;
  return b.toString('base64');
};

describe('secret crypto (AES-256-GCM)', () => {
  it('round-trips, with a fresh IV and no plaintext in what is stored', () => {
    const a = seal(key, 'hunter2-hunter2', aad);
    const b = seal(key, 'hunter2-hunter2', aad);
    assert.notEqual(a.iv, b.iv);
    assert.notEqual(a.data, b.data);
    assert.equal(Buffer.from(a.iv, 'base64').length, 12);
    assert.ok(!JSON.stringify(a).includes('hunter2'));
    assert.equal(open(key, a, aad), 'hunter2-hunter2');
  });

  it('refuses a tampered ciphertext, IV or tag', () => {
    const s = seal(key, 'hunter2-hunter2', aad);
    for (const bad of [
      { ...s, data: flip(s.data) },
      { ...s, iv: flip(s.iv) },
      { ...s, tag: flip(s.tag) },
    ]) {
      assert.throws(
        () => open(key, bad, aad),
        (err: unknown) => err instanceof NimbusError && err.code === 'SECRET_UNREADABLE' && !err.message.includes('hunter2'),
      );
    }
  });

  it('refuses a ciphertext moved to another app or name (AAD mismatch)', () => {
    const s = seal(key, 'hunter2-hunter2', aad);
    assert.throws(() => open(key, s, secretAad('blog', 'db-password')), /does not decrypt/);
    assert.throws(() => open(key, s, secretAad('shop', 'api-key')), /does not decrypt/);
  });

  it('refuses another key, and the key check value tells keys apart', () => {
    const other = newMasterKey();
    assert.throws(() => open(other, seal(key, 'x', aad), aad), /does not decrypt/);
    const check = keyCheck(key);
    assert.equal(verifyKeyCheck(key, check), true);
    assert.equal(verifyKeyCheck(other, check), false);
  });

  it('parses master keys as 64 hex digits or base64 of 32 bytes, nothing else', () => {
    assert.deepEqual(parseMasterKey(key.toString('hex'), 'k'), key);
    assert.deepEqual(parseMasterKey(`${key.toString('base64')}\n`, 'k'), key);
    assert.throws(
      () => parseMasterKey('short', 'NIMBUS_MASTER_KEY'),
      (e: unknown) => e instanceof NimbusError && e.code === 'MASTER_KEY_INVALID' && e.message.includes('NIMBUS_MASTER_KEY'),
    );
    assert.throws(() => parseMasterKey(Buffer.alloc(16).toString('base64'), 'k'), /32 bytes/);
  });
});

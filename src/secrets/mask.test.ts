import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { SecretMasker } from './mask.js';

describe('SecretMasker', () => {
  it('masks whole values in a line, several times, longest first', () => {
    const m = new SecretMasker(['s3cr3t-value', 's3cr3t']);
    assert.equal(m.mask('stdout', 'pw=s3cr3t-value and s3cr3t-value, s3cr3t'), 'pw=*** and ***, ***');
    assert.equal(m.mask('stdout', 'nothing here'), 'nothing here');
  });

  it('skips values under 4 characters', () => {
    const m = new SecretMasker(['abc']);
    assert.equal(m.empty, true);
    assert.equal(m.mask('stdout', 'abc abc'), 'abc abc');
  });

  it('masks a value split over consecutive writes of a stream, in two or three pieces', () => {
    const m = new SecretMasker(['correct-horse-battery']);
    const out = ['token: correct-', 'horse-', 'battery done'].map((l) => m.mask('stdout', l));
    assert.deepEqual(out, ['token: ***', '***', '*** done']);
    assert.ok(!out.join('').includes('horse'));
  });

  it('masks the start of a value in a line the shim cut at 16 KB', () => {
    const m = new SecretMasker(['correct-horse-battery']);
    assert.equal(m.mask('stdout', `${'x'.repeat(10)}correct-hor…[truncated]`), `${'x'.repeat(10)}***…[truncated]`);
  });

  it('keeps streams apart', () => {
    const m = new SecretMasker(['correct-horse']);
    assert.equal(m.mask('stdout', 'a correct-'), 'a ***');
    assert.equal(m.mask('stderr', 'horse'), 'horse');
  });

  it('masks the lines of a multi-line value', () => {
    const m = new SecretMasker(['-----BEGIN KEY-----\nMIIEabcdefg\n-----END KEY-----']);
    assert.equal(m.mask('stdout', 'MIIEabcdefg'), '***');
  });

  it('masks a whole text', () => {
    assert.equal(new SecretMasker(['hunter22']).maskText('Error: bad hunter22'), 'Error: bad ***');
  });
});

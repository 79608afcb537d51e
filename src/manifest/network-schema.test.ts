import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { NimbusError } from '../shared/errors.js';
import { parseManifest } from './parse.js';

const manifest = (network: string, defaults = '') => `app: shop\n${defaults}functions:\n  f:\n    handler: src/f.ts\n${network}`;

test('network: absent stays absent (public by default, and existing version hashes unchanged)', () => {
  assert.equal(parseManifest(manifest('')).functions['f']?.network, undefined);
});

test('network: none, public, a list; defaults apply and a function overrides them', () => {
  assert.deepEqual(parseManifest(manifest('    network: { egress: none }\n')).functions['f']?.network, { egress: 'none' });
  const list = parseManifest(manifest('    network:\n      egress: ["127.0.0.1:5432", "203.0.113.0/24", "api.example.com:443"]\n')).functions['f']?.network;
  assert.deepEqual(list, { egress: ['127.0.0.1:5432', '203.0.113.0/24', 'api.example.com:443'] });
  assert.deepEqual(parseManifest(manifest('', 'defaults:\n  network: { egress: none }\n')).functions['f']?.network, { egress: 'none' });
  assert.deepEqual(parseManifest(manifest('    network: { egress: public }\n', 'defaults:\n  network: { egress: none }\n')).functions['f']?.network, { egress: 'public' });
});

test('network: bad values are MANIFEST_INVALID with the line and what to write', () => {
  const failure = (text: string): string => {
    let message = '';
    assert.throws(
      () => parseManifest(text),
      (err: unknown) => {
        assert.ok(err instanceof NimbusError);
        assert.equal(err.code, 'MANIFEST_INVALID');
        message = err.message;
        return true;
      },
    );
    return message;
  };
  assert.match(failure(manifest('    network: { egress: everywhere }\n')), /f\.network\.egress: must be "none", "public" or a list/);
  assert.match(failure(manifest('    network: { egress: ["10.1.2.3/8"] }\n')), /:5:\d+ functions\.f\.network\.egress\[0\]: "10\.1\.2\.3\/8" has bits set .* did you mean 10\.0\.0\.0\/8\?/);
  assert.match(failure(manifest('    network: { egress: ["localhost"] }\n')), /add a port/);
  assert.match(failure(manifest('    network: { egres: none }\n')), /egres/);
});

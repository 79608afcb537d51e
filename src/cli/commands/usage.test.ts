import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { formatUsd } from './usage.js';

describe('formatUsd', () => {
  it('prints cents above a dollar and three significant digits below, never in exponent notation', () => {
    assert.equal(formatUsd(12.345), '$12.35');
    assert.equal(formatUsd(0), '$0.00');
    assert.equal(formatUsd(0.5), '$0.500');
    assert.equal(formatUsd(0.0123), '$0.0123');
    assert.equal(formatUsd(6.25e-7), '$0.000000625');
  });
});

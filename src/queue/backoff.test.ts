import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { calculateDelay } from './backoff.js';

describe('calculateDelay', () => {
  const base = { baseMs: 1000, maxMs: 10_000 };

  it('doubles per attempt up to the cap', () => {
    const caps = [1, 2, 3, 4, 5, 6, 2000].map((n) => calculateDelay(n, { ...base, jitter: 'none' }));
    assert.deepEqual(caps, [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it('full jitter spreads uniformly over [0, cap]', () => {
    assert.equal(calculateDelay(3, { ...base, jitter: 'full', random: () => 0 }), 0);
    assert.equal(calculateDelay(3, { ...base, jitter: 'full', random: () => 0.5 }), 2000);
    assert.equal(calculateDelay(3, { ...base, jitter: 'full', random: () => 0.999 }), 3996);
    for (let i = 0; i < 200; i++) {
      const d = calculateDelay(4, { ...base, jitter: 'full' });
      assert.ok(d >= 0 && d <= 8000, `${d} out of range`);
    }
  });

  it('equal jitter keeps at least half the cap', () => {
    assert.equal(calculateDelay(2, { ...base, jitter: 'equal', random: () => 0 }), 1000);
    assert.equal(calculateDelay(2, { ...base, jitter: 'equal', random: () => 1 }), 2000);
  });

  it('treats attempts below 1 as the first', () => {
    assert.equal(calculateDelay(0, { ...base, jitter: 'none' }), 1000);
  });
});

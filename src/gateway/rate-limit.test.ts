import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { FakeClock } from '../shared/clock.js';
import { TokenBuckets } from './rate-limit.js';

const limit = { requests: 10, perMs: 1000, burst: 20 };

describe('TokenBuckets', () => {
  it('starts full at burst, then refuses with the time until the next token', () => {
    const clock = new FakeClock(1_000_000);
    const buckets = new TokenBuckets(clock);
    const results = Array.from({ length: 23 }, () => buckets.take('a', limit));
    assert.equal(results.filter((r) => r.ok).length, 20);
    assert.deepEqual(results.at(-1), { ok: false, retryAfterMs: 100 });
    clock.advance(99);
    assert.equal(buckets.take('a', limit).ok, false);
    clock.advance(1);
    assert.equal(buckets.take('a', limit).ok, true);
    assert.equal(buckets.take('a', limit).ok, false);
  });

  it('refills `requests` every period, never above burst', () => {
    const clock = new FakeClock(0);
    const buckets = new TokenBuckets(clock);
    for (let i = 0; i < 20; i++) buckets.take('a', limit);
    clock.advance(1000);
    assert.equal(Array.from({ length: 15 }, () => buckets.take('a', limit)).filter((r) => r.ok).length, 10);
    clock.advance(60_000);
    assert.equal(Array.from({ length: 25 }, () => buckets.take('a', limit)).filter((r) => r.ok).length, 20);
  });

  it('keeps clients apart and a clock going back adds nothing', () => {
    const clock = new FakeClock(5000);
    const buckets = new TokenBuckets(clock);
    const one = { requests: 1, perMs: 1000, burst: 1 };
    assert.equal(buckets.take('a', one).ok, true);
    assert.equal(buckets.take('b', one).ok, true);
    clock.advance(-4000);
    assert.equal(buckets.take('a', one).ok, false);
  });

  it('holds at most maxBuckets, dropping the least recently used', () => {
    const clock = new FakeClock(0);
    const buckets = new TokenBuckets(clock, 3);
    const one = { requests: 1, perMs: 60_000, burst: 1 };
    buckets.take('victim', one);
    for (let i = 0; i < 1000; i++) buckets.take(`flood-${i}`, one);
    assert.equal(buckets.size, 3);
    // Recently used buckets stay (and stay empty).
    assert.equal(buckets.take('flood-999', one).ok, false);
  });
});

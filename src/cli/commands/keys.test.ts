import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseDuration, parseSince } from './keys.js';

describe('keys and audit options', () => {
  it('reads durations for --expires', () => {
    assert.equal(parseDuration('30d'), 30 * 86_400_000);
    assert.equal(parseDuration('90m'), 90 * 60_000);
    assert.equal(parseDuration('2W'), 2 * 604_800_000);
    assert.throws(() => parseDuration('30'), /duration/);
    assert.throws(() => parseDuration('-1d'), /duration/);
  });

  it('reads --since as a duration back from now or an ISO time', () => {
    assert.equal(parseSince('1h', 10_000_000), 10_000_000 - 3_600_000);
    assert.equal(parseSince('2026-11-30T00:00:00Z'), Date.UTC(2026, 10, 30));
    assert.throws(() => parseSince('yesterday'), /ISO 8601/);
  });
});

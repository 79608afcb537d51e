import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { uuidv7 } from './ids.js';

describe('uuidv7', () => {
  it('is a version-7 UUID carrying the time, sorting by creation time', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(parseInt(a.slice(0, 8) + a.slice(9, 13), 16), 1_700_000_000_000);
    assert.ok(a < b);
    assert.notEqual(uuidv7(5), uuidv7(5));
  });
});

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FunctionVersion } from '../domain/index.js';
import { pickWeighted, Traffic } from './traffic.js';

const v = (version: number, name = 'api'): FunctionVersion => ({ app: 'shop', name, version, hash: `h${version}`, codeHash: 'c', codeSize: 1, config: {} as FunctionVersion['config'], createdAt: 0 });

/** A deterministic random source: 0, 0.01, 0.02, ... 0.99, 0, ... */
function sweep(): () => number {
  let i = 0;
  return () => (i++ % 100) / 100;
}

describe('weighted pick', () => {
  it('gives the second choice exactly `weight` of every hundred evenly spread draws', () => {
    const random = sweep();
    const picks = Array.from({ length: 1000 }, () => pickWeighted('old', 'new', 10, random));
    assert.equal(picks.filter((p) => p === 'new').length, 100);
  });

  it('draws below the weight pick the second choice, at and above it the first', () => {
    assert.equal(
      pickWeighted('a', 'b', 10, () => 0.099),
      'b',
    );
    assert.equal(
      pickWeighted('a', 'b', 10, () => 0.1),
      'a',
    );
    assert.equal(
      pickWeighted('a', 'b', 99, () => 0.985),
      'b',
    );
    assert.equal(
      pickWeighted('a', 'b', 1, () => 0.01),
      'a',
    );
  });
});

describe('Traffic', () => {
  it('serves an alias by its weight, and nothing for an unknown alias', () => {
    const t = new Traffic(sweep());
    t.setAlias('shop', 'api', 'live', { first: v(1), second: v(2), weight: 25 });
    const picks = Array.from({ length: 100 }, () => t.alias('shop', 'api', 'live')!.version);
    assert.equal(picks.filter((p) => p === 2).length, 25);
    assert.equal(t.alias('shop', 'api', 'beta'), undefined);
    t.setAlias('shop', 'api', 'live', { first: v(3), second: null, weight: 0 });
    assert.equal(t.alias('shop', 'api', 'live')?.version, 3);
  });

  it("shifts a canary's share of the active version's traffic only, and lists the versions that take traffic", () => {
    const t = new Traffic(() => 0.05);
    assert.equal(t.serve(v(1)).version, 1);
    t.setCanary('shop', 'api', { first: v(1), second: v(2), weight: 10 });
    assert.equal(t.serve(v(1)).version, 2);
    assert.equal(t.serve(v(5)).version, 5, 'a request for another version is not the canary’s');
    assert.equal(t.serve(v(1, 'other')).version, 1);
    t.setAlias('shop', 'api', 'live', { first: v(1), second: v(3), weight: 50 });
    t.setAlias('shop', 'other', 'live', { first: v(7, 'other'), second: null, weight: 0 });
    assert.deepEqual(
      t.versionsOf('shop', 'api').map((x) => x.version),
      [1, 3, 2],
    );
    t.drop('shop', 'api');
    assert.deepEqual(t.versionsOf('shop', 'api'), []);
    assert.equal(t.alias('shop', 'other', 'live')?.version, 7);
    t.drop('shop');
    assert.equal(t.alias('shop', 'other', 'live'), undefined);
  });
});

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { HopContext } from './hops.js';

describe('HopContext', () => {
  it("is the running invocation's hop, and stays so after it for work it left behind", () => {
    const h = new HopContext();
    assert.equal(h.current, 0);
    const leave = h.enter(7);
    assert.equal(h.current, 7);
    leave();
    assert.equal(h.current, 7, 'a timer or an unawaited publish after the response is still caused by it');
    h.enter(2)();
    assert.equal(h.current, 2, 'a new invocation on an idle instance starts a new period');
  });

  it('counts a call beside concurrent invocations as the deepest of them until the instance is idle', () => {
    const h = new HopContext();
    const deep = h.enter(12);
    const shallow = h.enter(0);
    assert.equal(h.current, 12);
    deep();
    assert.equal(h.current, 12, 'never shallower while the period lasts');
    const leave = h.enter(3);
    assert.equal(h.current, 12);
    shallow();
    leave();
    leave();
    h.enter(1);
    assert.equal(h.current, 1, 'leaving twice counts once');
  });
});

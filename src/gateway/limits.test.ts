import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ByteBudget, ConnectionLimiter, defaultMaxConnections, openFileLimit } from './limits.js';

class FakeSocket extends EventEmitter {
  written = '';
  destroyed = false;
  constructor(readonly remoteAddress: string) {
    super();
  }
  write(s: string) {
    this.written += s;
    return true;
  }
  destroySoon() {
    this.destroy();
  }
  destroy() {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit('close');
    }
  }
}
const sock = (addr: string) => new FakeSocket(addr) as unknown as Socket & FakeSocket;

describe('gateway limits', () => {
  it('reads the soft open-file limit from /proc/self/limits, with a fallback', () => {
    const dir = mkdtempSync(join(tmpdir(), 'limits-'));
    try {
      const file = join(dir, 'limits');
      writeFileSync(file, 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                524288               files\n');
      assert.equal(openFileLimit(file), 20000);
      writeFileSync(file, 'Max open files            unlimited            unlimited            files\n');
      assert.equal(openFileLimit(file), 1_048_576);
      assert.equal(openFileLimit(join(dir, 'missing')), 1024);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (process.platform === 'linux') assert.ok(openFileLimit() > 0);
  });

  it('leaves room for instances and databases in the default connection cap', () => {
    assert.equal(defaultMaxConnections(20000, 100), 10000);
    assert.equal(defaultMaxConnections(256, 100), 64, 'a quarter at least');
    assert.equal(defaultMaxConnections(1024, 100), 296);
  });

  it('refuses connections over the total and per-address limits with a 503, and counts closes', () => {
    const limiter = new ConnectionLimiter({ maxConnections: 3, maxConnectionsPerClient: 2 });
    const a1 = sock('1.1.1.1');
    const a2 = sock('1.1.1.1');
    const a3 = sock('1.1.1.1');
    assert.equal(limiter.admit(a1), true);
    assert.equal(limiter.admit(a2), true);
    assert.equal(limiter.admit(a3), false);
    assert.match(a3.written, /^HTTP\/1\.1 503 [\s\S]*too many connections from this address/);
    assert.equal(a3.destroyed, true);
    assert.equal(limiter.admit(sock('2.2.2.2')), true);
    const b = sock('3.3.3.3');
    assert.equal(limiter.admit(b), false, 'total limit');
    assert.match(b.written, /connection limit/);
    a1.destroy();
    assert.equal(limiter.open, 2);
    assert.equal(limiter.admit(sock('1.1.1.1')), true);
  });

  it('reserves and releases body bytes within the budget', () => {
    const budget = new ByteBudget(10);
    assert.equal(budget.reserve(6), true);
    assert.equal(budget.reserve(5), false);
    assert.equal(budget.inFlight, 6);
    budget.release(6);
    assert.equal(budget.reserve(10), true);
  });
});

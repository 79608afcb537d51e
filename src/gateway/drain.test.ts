import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Runtime } from '../runtime/index.js';
import { Gateway } from './gateway.js';

describe('gateway draining', () => {
  it('answers /healthz 503 draining after drain(), and still serves other requests', async () => {
    // No function runs in this test: the health check and the 404 never reach the runtime.
    const gateway = new Gateway({ runtime: {} as Runtime });
    const port = await gateway.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    try {
      const before = await fetch(`${base}/healthz`);
      assert.equal(before.status, 200);
      assert.deepEqual(await before.json(), { ok: true });
      gateway.drain();
      const during = await fetch(`${base}/healthz`);
      assert.equal(during.status, 503);
      assert.deepEqual(await during.json(), { ok: false, status: 'draining' });
      const other = await fetch(`${base}/nothing-here`);
      assert.equal(other.status, 404, 'requests other than the health check are still routed');
      await other.body?.cancel();
    } finally {
      await gateway.close(0);
    }
  });
});

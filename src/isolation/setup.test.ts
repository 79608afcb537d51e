import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { systemClock } from '../shared/clock.js';
import { setupIsolation } from './index.js';

describe('setupIsolation', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'nimbus-iso-setup-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  // An empty folder as cgroupfs: no controller can be applied, whoever runs the test.
  const options = (mode: 'auto' | 'strict' | 'off', log: string[] = []) => ({
    mode,
    runRoot: dir,
    clock: systemClock,
    log: (l: string) => log.push(l),
    cgroupRoot: join(dir, 'no-cgroups'),
    uidDir: join(dir, 'uids'),
  });

  it('strict refuses to start without every layer, with ISOLATION_UNAVAILABLE and the missing layers', () => {
    assert.throws(
      () => setupIsolation(options('strict')),
      (err: Error & { code?: string }) => err.code === 'ISOLATION_UNAVAILABLE' && /cgroup-memory/.test(err.message) && /--isolation auto/.test(err.message),
    );
  });

  it('auto runs with what it has, says what is missing, and lists every layer', () => {
    const log: string[] = [];
    const iso = setupIsolation(options('auto', log));
    try {
      const names = iso.report.layers.map((l) => l.name);
      assert.deepEqual(names, ['uid', 'namespaces', 'tmpfs', 'die-with-node', 'rlimit-nofile', 'cgroup-memory', 'cgroup-pids', 'cgroup-cpu']);
      assert.equal(iso.report.layers.find((l) => l.name === 'cgroup-memory')?.ok, false);
      assert.ok(
        log.some((l) => /running without .*cgroup-memory/.test(l)),
        log.join('\n'),
      );
      // The egress setup appends its own layer to the same report.
      iso.report.layers.push({ name: 'network-egress', ok: true, detail: 'test' });
      assert.equal(iso.report.layers.length, 9);
    } finally {
      iso.close();
    }
  });

  it('off applies no namespaces', () => {
    const iso = setupIsolation(options('off'));
    try {
      assert.equal(iso.confine, undefined);
      assert.equal(iso.report.mode, 'off');
    } finally {
      iso.close();
    }
  });
});

import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readCpuQuota } from './cpu-quota.js';

const dir = mkdtempSync(join(tmpdir(), 'nimbus-cpu-quota-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A fake /sys/fs/cgroup and /proc/self/cgroup. */
function fake(files: Record<string, string>, procCgroup: string): { root: string; proc: string } {
  const root = join(dir, `t${++n}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const proc = join(root, 'proc-cgroup');
  writeFileSync(proc, procCgroup);
  return { root, proc };
}

describe('readCpuQuota', () => {
  it('finds no quota when there is none (v1 -1, v2 max)', () => {
    const v1 = fake({ 'cpu/cgroup.procs': '', 'cpu/a/cpu.cfs_quota_us': '-1\n', 'cpu/a/cpu.cfs_period_us': '100000\n' }, '1:cpu:/a\n2:cpuacct:/a\n');
    assert.equal(readCpuQuota(v1.root, v1.proc), undefined);
    const v2 = fake({ 'a/cpu.max': 'max 100000\n' }, '0::/a\n');
    assert.equal(readCpuQuota(v2.root, v2.proc), undefined);
  });

  it('reads a v1 quota, the smallest of the group and its parents', () => {
    const f = fake(
      {
        'cpu/cgroup.procs': '',
        'cpu/pod/cpu.cfs_quota_us': '150000\n',
        'cpu/pod/cpu.cfs_period_us': '100000\n',
        'cpu/pod/node/cpu.cfs_quota_us': '-1\n',
        'cpu/pod/node/cpu.cfs_period_us': '100000\n',
        'cpu/pod/node/cpu.stat': 'nr_periods 10\nnr_throttled 0\n',
        'cpuacct/cgroup.procs': '',
        'cpuacct/pod/cpuacct.usage': '0\n',
      },
      '1:cpu:/pod/node\n2:cpuacct:/pod/node\n',
    );
    assert.equal(readCpuQuota(f.root, f.proc)?.cores, 1.5);
  });

  it('says a v1 group throttled in every period has no idle CPU', () => {
    const f = fake(
      { 'cpu/cgroup.procs': '', 'cpu/b/cpu.cfs_quota_us': '40000', 'cpu/b/cpu.cfs_period_us': '100000', 'cpu/b/cpu.stat': 'nr_periods 100\nnr_throttled 10\n' },
      '1:cpu:/b\n2:cpuacct:/\n',
    );
    const q = readCpuQuota(f.root, f.proc);
    assert.equal(q?.cores, 0.4);
    writeFileSync(join(f.root, 'cpu/b/cpu.stat'), 'nr_periods 110\nnr_throttled 20\n');
    assert.equal(q?.idleShare(), 0);
    writeFileSync(join(f.root, 'cpu/b/cpu.stat'), 'nr_periods 120\nnr_throttled 20\n');
    assert.equal(q?.idleShare(), 1);
  });

  it('reads a v2 quota and measures usage against it', () => {
    const f = fake({ 'k/cpu.max': '50000 100000\n', 'k/n/cpu.max': 'max 100000\n', 'k/n/cpu.stat': 'usage_usec 1000\n' }, '0::/k/n\n');
    const q = readCpuQuota(f.root, f.proc);
    assert.equal(q?.cores, 0.5);
    // Usage is read from the group that carries the quota (k), which has no cpu.stat here: 0 used.
    assert.ok((q?.idleShare() ?? 0) > 0.9);
  });
});

import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Cgroups, CPU_PERIOD_US, IDLE_QUOTA_US } from './cgroups.js';

/** A fake cgroupfs: plain folders and files (a real one creates the control files itself). */
function fakeRoot(version: 1 | 2): string {
  const root = mkdtempSync(join(tmpdir(), `nimbus-cgfake-v${version}-`));
  if (version === 2) writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
  else for (const c of ['memory', 'pids', 'cpu', 'cpuacct', 'freezer']) mkdirSync(join(root, c));
  return root;
}

const read = (file: string): string => readFileSync(file, 'utf8');
const limits = { memoryBytes: 256 * 1024 * 1024, pids: 64, cpuWeight: 100 };

for (const version of [1, 2] as const) {
  describe(`cgroups v${version} (fake cgroupfs)`, () => {
    let root: string;
    let killed: number[];
    let cg: Cgroups;
    beforeEach(() => {
      root = fakeRoot(version);
      killed = [];
      cg = new Cgroups({ root, removeDir: (d) => rmSync(d, { recursive: true }), kill: (pid) => killed.push(pid) });
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    const dirOf = (controller: string, rel: string): string => (version === 2 ? join(root, rel) : join(root, controller, rel));

    it('detects the version and the controllers', () => {
      assert.equal(new Cgroups({ root }).version, version);
      assert.deepEqual([...cg.controllers()].sort(), version === 2 ? ['cpu', 'memory', 'pids'] : ['cpu', 'cpuacct', 'memory', 'pids']);
    });

    it('creates a sandbox group under the node with its limits, and the files the launcher joins', () => {
      const node = cg.nodeGroup('100-200-1');
      const g = node.create(limits);
      assert.equal(g.path, 'nimbus/100-200-1/sbx-1');
      if (version === 2) {
        assert.equal(read(join(root, 'nimbus/100-200-1/sbx-1/memory.max')), String(limits.memoryBytes));
        assert.equal(read(join(root, 'nimbus/100-200-1/sbx-1/pids.max')), '64');
        assert.equal(read(join(root, 'nimbus/100-200-1/sbx-1/memory.swap.max')), '0');
        // Controllers are enabled for the children on the way down.
        for (const d of ['', 'nimbus', 'nimbus/100-200-1']) assert.equal(read(join(root, d, 'cgroup.subtree_control')), '+cpu +memory +pids');
        assert.deepEqual(g.procsFiles, [join(root, 'nimbus/100-200-1/sbx-1/cgroup.procs')]);
      } else {
        assert.equal(read(join(root, 'memory/nimbus/100-200-1/sbx-1/memory.limit_in_bytes')), String(limits.memoryBytes));
        assert.equal(read(join(root, 'pids/nimbus/100-200-1/sbx-1/pids.max')), '64');
        assert.equal(read(join(root, 'cpu/nimbus/100-200-1/sbx-1/cpu.shares')), '1024');
        assert.deepEqual(
          g.procsFiles,
          ['memory', 'pids', 'cpu', 'cpuacct'].map((c) => join(root, c, 'nimbus/100-200-1/sbx-1/cgroup.procs')),
        );
      }
      assert.equal(node.create(limits).path, 'nimbus/100-200-1/sbx-2');
    });

    it('sets the idle CPU quota and lifts it, writing only when the state changes', () => {
      const g = cg.nodeGroup('1-1-1').create(limits);
      const file = version === 2 ? join(dirOf('cpu', g.path), 'cpu.max') : join(dirOf('cpu', g.path), 'cpu.cfs_quota_us');
      g.setIdle(true);
      assert.equal(read(file), version === 2 ? `${IDLE_QUOTA_US} ${CPU_PERIOD_US}` : String(IDLE_QUOTA_US));
      writeFileSync(file, 'untouched');
      g.setIdle(true);
      assert.equal(read(file), 'untouched', 'no write when already idle');
      g.setIdle(false);
      assert.equal(read(file), version === 2 ? `max ${CPU_PERIOD_US}` : '-1');
    });

    it('reads memory, CPU time and the OOM-kill counter', () => {
      const g = cg.nodeGroup('1-1-1').create(limits);
      if (version === 2) {
        writeFileSync(join(root, g.path, 'memory.current'), '12345\n');
        writeFileSync(join(root, g.path, 'cpu.stat'), 'usage_usec 777\nuser_usec 500\n');
        writeFileSync(join(root, g.path, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n');
      } else {
        writeFileSync(join(root, 'memory', g.path, 'memory.usage_in_bytes'), '12345\n');
        writeFileSync(join(root, 'cpuacct', g.path, 'cpuacct.usage'), '777000\n');
        writeFileSync(join(root, 'memory', g.path, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
      }
      assert.equal(g.memoryUsage(), 12345);
      assert.equal(g.cpuUsageUs(), 777);
      assert.equal(g.oomKilled(), false);
      if (version === 2) writeFileSync(join(root, g.path, 'memory.events'), 'oom 1\noom_kill 1\n');
      else writeFileSync(join(root, 'memory', g.path, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
      assert.equal(g.oomKilled(), true);
    });

    it("reaps a dead node's groups (killing what is left) and never touches a live node's", () => {
      const dead = cg.nodeGroup('11-11-1').create(limits);
      const live = cg.nodeGroup('22-22-1').create(limits);
      writeFileSync(join(dirOf('memory', dead.path), 'cgroup.procs'), '4242\n');
      writeFileSync(join(dirOf('memory', live.path), 'cgroup.procs'), '5353\n');
      if (version === 2) writeFileSync(join(root, dead.path, 'cgroup.freeze'), '1');
      const reaped = cg.reapDead((id) => id.startsWith('22-'));
      assert.deepEqual(reaped, ['11-11-1']);
      assert.deepEqual(killed, [4242]);
      assert.equal(existsSync(dirOf('memory', 'nimbus/11-11-1')), false);
      assert.equal(existsSync(dirOf('memory', live.path)), true);
    });

    it('kills its own sandboxes and removes its groups at shutdown', () => {
      const node = cg.nodeGroup('33-33-1');
      const a = node.create(limits);
      node.create(limits);
      writeFileSync(join(dirOf('pids', a.path), 'cgroup.procs'), '7\n8\n');
      assert.equal(a.isEmpty(), false);
      assert.equal(node.destroy(), true);
      assert.deepEqual(killed.sort(), [7, 8]);
      assert.equal(existsSync(dirOf('pids', 'nimbus/33-33-1')), false);
    });
  });
}

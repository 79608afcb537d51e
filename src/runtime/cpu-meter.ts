/**
 * Whether the node has idle CPU, per tick: from the kernel's per-core counters (os.cpus()), and,
 * when the node runs under a CPU quota (cpu-quota.ts), from its group's usage against that quota,
 * whichever is busier: a throttled node is not idle because the machine is.
 */
import { cpus } from 'node:os';
import type { CpuQuota } from './cpu-quota.js';

export class CpuMeter {
  private last = totals();
  private idleShare = 1;

  constructor(private readonly quota?: CpuQuota) {}

  /** Share of CPU time that was idle since the previous call (0..1). */
  sample(): number {
    const now = totals();
    const total = now.total - this.last.total;
    let idle = total > 0 ? (now.idle - this.last.idle) / total : this.idleShare;
    this.last = now;
    if (this.quota) idle = Math.min(idle, this.quota.idleShare());
    this.idleShare = idle;
    return this.idleShare;
  }

  /** The last sample says at least `share` of the CPU was idle. */
  idle(share = 0.2): boolean {
    return this.idleShare >= share;
  }
}

function totals(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.idle + c.times.user + c.times.sys + c.times.nice + c.times.irq;
  }
  return { idle, total };
}

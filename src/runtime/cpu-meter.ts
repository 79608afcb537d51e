/** Whether the node has idle CPU, from the kernel's per-core counters (os.cpus()), per tick. */
import { cpus } from 'node:os';

export class CpuMeter {
  private last = totals();
  private idleShare = 1;

  /** Share of CPU time that was idle since the previous call (0..1). */
  sample(): number {
    const now = totals();
    const total = now.total - this.last.total;
    this.idleShare = total > 0 ? (now.idle - this.last.idle) / total : this.idleShare;
    this.last = now;
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

/**
 * CPU time of a process and its descendants from /proc/<pid>/stat (Linux only): utime + stime,
 * in clock ticks, turned into the share of one core used over a sampling window.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sleep } from './proc.js';
import { descendants } from './rss.js';

let ticksPerSecond: number | null = null;

/** USER_HZ, the unit of utime/stime in /proc (100 on every common Linux build). */
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of `pid` in clock ticks, null if the process is gone. */
export function cpuTicks(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the parenthesised command name start at field 3 (state); utime is 14, stime 15.
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(after[11]) + Number(after[12]);
}

export interface CpuUse {
  /** The root process alone, % of one core over the window. */
  rootPct: number;
  /** Root plus the descendants alive at both ends of the window, % of one core. */
  treePct: number;
  /** Processes in the tree at the start of the window. */
  processes: number;
  windowS: number;
}

/** CPU used by `pid` (and its tree) over the next `windowMs`, as % of one core. */
export async function cpuOver(pid: number, windowMs: number): Promise<CpuUse> {
  const pids = [pid, ...descendants(pid)];
  const before = new Map(pids.map((p) => [p, cpuTicks(p)]));
  const t0 = performance.now();
  await sleep(windowMs);
  const seconds = (performance.now() - t0) / 1000;
  const pct = (ticks: number) => (ticks / clockTicks() / seconds) * 100;
  let root = 0;
  let tree = 0;
  for (const p of pids) {
    const a = before.get(p);
    const b = cpuTicks(p);
    if (a === null || a === undefined || b === null) continue; // started or ended meanwhile
    tree += b - a;
    if (p === pid) root = b - a;
  }
  return { rootPct: pct(root), treePct: pct(tree), processes: pids.length, windowS: seconds };
}

/**
 * Memory of a process and its descendants from /proc (Linux only). RSS double-counts pages that
 * processes share (node's own text, for one), so the proportional set size (PSS) is reported too:
 * summed over a tree it is what the tree really costs the machine.
 */
import { readdirSync, readFileSync } from 'node:fs';

function readProc(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null; // the process ended meanwhile
  }
}

function kbField(text: string | null, field: string): number {
  if (text === null) return 0;
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m?.[1] === undefined ? 0 : Number(m[1]);
}

/** VmRSS in kB, 0 if the process is gone. */
export function rssKb(pid: number): number {
  return kbField(readProc(pid, 'status'), 'VmRSS');
}

/** Pss in kB from smaps_rollup, 0 if unavailable. */
export function pssKb(pid: number): number {
  return kbField(readProc(pid, 'smaps_rollup'), 'Pss');
}

/** Every live descendant of `pid` (children, grandchildren, ...), found by scanning /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(Number(name), 'stat');
    if (stat === null) continue;
    // Fields after the parenthesised command name: state, ppid, ...
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(after[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

export interface TreeMemory {
  /** The root process alone. */
  rootRssMb: number;
  /** Root plus every descendant, RSS summed (over-counts shared pages). */
  treeRssMb: number;
  /** Root plus every descendant, PSS summed. */
  treePssMb: number;
  processes: number;
}

export function treeMemory(pid: number): TreeMemory {
  const all = [pid, ...descendants(pid)];
  let rss = 0;
  let pss = 0;
  for (const p of all) {
    rss += rssKb(p);
    pss += pssKb(p);
  }
  return { rootRssMb: rssKb(pid) / 1024, treeRssMb: rss / 1024, treePssMb: pss / 1024, processes: all.length };
}

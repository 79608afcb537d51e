/**
 * Who owns a cgroup or a uid range: a node is `<pid>-<start time>` (the start time, in clock ticks
 * since boot from /proc/<pid>/stat, tells a live node from a later process that reuses its pid).
 */
import { readFileSync } from 'node:fs';

/** A process's owner id. */
export function ownerId(pid = process.pid): string {
  return `${pid}-${startTime(pid) ?? 0}`;
}

let nodes = 0;
/** A new node's id: its process's owner id plus a sequence number (tests run several nodes in one process). */
export function newNodeId(): string {
  return `${ownerId()}-${++nodes}`;
}

/** Whether the node that wrote `id` still runs. */
export function ownerAlive(id: string): boolean {
  const m = /^(\d+)-(\d+)(?:-\d+)?$/.exec(id.trim());
  if (!m) return false;
  const start = startTime(Number(m[1]));
  return start !== undefined && String(start) === m[2];
}

function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const value = Number(fields[19]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

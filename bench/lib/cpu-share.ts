/**
 * A CPU share for a process and everything it starts: a cgroup with a CPU quota (v1 `cpu`
 * controller: cfs_quota_us; v2: cpu.max), entered by a shell wrapper before `exec`. The cluster
 * case gives each node the same share, so "3 nodes" means three shares of the machine, not three
 * processes fighting over 2 cores. Needs root and a writable cgroup tree; without them the case
 * runs unpinned and says so.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CpuShare {
  /** Prefix for the command: `sh -c 'echo $$ > …/cgroup.procs; exec "$@"' sh`. */
  wrap: string[];
  /** Remove the cgroup (after its processes ended). */
  remove(): void;
}

const PERIOD_US = 100_000;

/** A cgroup named `name` limited to `cores` CPUs (e.g. 0.5), or undefined when cgroups are not writable here. */
export function cpuShare(name: string, cores: number): CpuShare | undefined {
  const quota = Math.round(cores * PERIOD_US);
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const dir = v2 ? join('/sys/fs/cgroup', 'nimbus-bench', name) : join('/sys/fs/cgroup/cpu', 'nimbus-bench', name);
  try {
    mkdirSync(dir, { recursive: true });
    if (v2) {
      writeFileSync(join('/sys/fs/cgroup', 'cgroup.subtree_control'), '+cpu');
      writeFileSync(join('/sys/fs/cgroup', 'nimbus-bench', 'cgroup.subtree_control'), '+cpu');
      writeFileSync(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    } else {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
    }
  } catch {
    return undefined;
  }
  return {
    wrap: ['sh', '-c', `echo $$ > ${join(dir, 'cgroup.procs')} && exec "$@"`, 'sh'],
    remove: () => {
      try {
        for (const child of readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) rmdirSync(join(dir, child.name));
        rmdirSync(dir);
      } catch {
        // still busy (a process outlived its node): left for the next run
      }
    },
  };
}

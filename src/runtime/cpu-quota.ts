/**
 * The CPU quota of the cgroup this process runs in (a container's `--cpus`, a Kubernetes CPU
 * limit, systemd's CPUQuota=, the cluster bench's per-node share). os.cpus() and
 * availableParallelism() see the machine's cores, not the quota: a node limited to 0.4 of a core
 * on a 2-core host would think its cores are 80 % idle while it is throttled, and keep starting
 * instances (~60 ms of CPU each) it cannot run. Read once at start-up; undefined when there is no
 * quota (or it cannot be read), and then nothing changes.
 *   v1: /proc/self/cgroup `N:cpu,cpuacct:/path` → /sys/fs/cgroup/cpu/path/cpu.cfs_quota_us (−1: none),
 *       cpu.cfs_period_us; usage from /sys/fs/cgroup/cpuacct/path/cpuacct.usage (ns)
 *   v2: /proc/self/cgroup `0::/path` → /sys/fs/cgroup/path/cpu.max (`max 100000`: none), usage
 *       from cpu.stat usage_usec
 * Ancestors' quotas count too (a container's limit sits on a parent of the process's group): the
 * smallest on the way up is the one that binds.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface CpuQuota {
  /** Cores the quota allows (e.g. 0.4, 2.5). */
  cores: number;
  /**
   * Share of the quota left unused since the previous call (0..1): from the group's CPU usage, or
   * (v1 with cpuacct mounted apart, where the group's usage is not readable) from the share of
   * scheduler periods in which it was throttled.
   */
  idleShare(): number;
}

/** Idle share from a usage counter (µs) against the quota. */
function fromUsage(cores: number, usageUs: () => number): () => number {
  let last = { usage: usageUs(), at: performance.now() };
  return () => {
    const now = { usage: usageUs(), at: performance.now() };
    const allowed = (now.at - last.at) * 1000 * cores;
    const used = now.usage - last.usage;
    last = now;
    return allowed > 0 ? Math.min(1, Math.max(0, 1 - used / allowed)) : 1;
  };
}

/** Idle share from cpu.stat's throttled periods: a throttled period used the whole quota. */
function fromThrottling(statFile: string): () => number {
  const read2 = () => {
    const text = read(statFile) ?? '';
    return { periods: Number(/nr_periods (\d+)/.exec(text)?.[1] ?? 0), throttled: Number(/nr_throttled (\d+)/.exec(text)?.[1] ?? 0) };
  };
  let last = read2();
  return () => {
    const now = read2();
    const periods = now.periods - last.periods;
    const throttled = now.throttled - last.throttled;
    last = now;
    return periods > 0 ? 1 - throttled / periods : 1;
  };
}

export function readCpuQuota(root = '/sys/fs/cgroup', procCgroup = '/proc/self/cgroup'): CpuQuota | undefined {
  let lines: string[];
  try {
    lines = readFileSync(procCgroup, 'utf8').trim().split('\n');
  } catch {
    return undefined;
  }
  const v1 = lines.map((l) => l.split(':')).find((p) => p[1]?.split(',').includes('cpu'));
  if (v1) {
    const path = v1[2] ?? '/';
    const acct = lines.map((l) => l.split(':')).find((p) => p[1]?.split(',').includes('cpuacct'))?.[2] ?? path;
    const cpuDir = join(root, existsDir(join(root, 'cpu')) ? 'cpu' : 'cpu,cpuacct');
    const acctDir = join(root, existsDir(join(root, 'cpuacct')) ? 'cpuacct' : 'cpu,cpuacct');
    const found = smallest(cpuDir, path, (dir) => {
      const quota = readNumber(join(dir, 'cpu.cfs_quota_us'));
      const period = readNumber(join(dir, 'cpu.cfs_period_us'));
      return quota !== undefined && period !== undefined && quota > 0 && period > 0 ? quota / period : undefined;
    });
    if (!found) return undefined;
    // Usage of the group that carries the binding quota (it includes its children), when cpuacct
    // is co-mounted with cpu or the process sits at the same path in both.
    const sameGroup = cpuDir === acctDir || path === acct;
    const usageFile = join(acctDir, found.dir.slice(cpuDir.length) || '/', 'cpuacct.usage');
    if (sameGroup && readNumber(usageFile) !== undefined) return { cores: found.cores, idleShare: fromUsage(found.cores, () => (readNumber(usageFile) ?? 0) / 1000) };
    return { cores: found.cores, idleShare: fromThrottling(join(found.dir, 'cpu.stat')) };
  }
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (!v2) return undefined;
  const found = smallest(root, v2.slice(3), (dir) => {
    const max = read(join(dir, 'cpu.max'))?.trim().split(/\s+/);
    if (!max || max[0] === 'max') return undefined;
    const quota = Number(max[0]);
    const period = Number(max[1] ?? 100_000);
    return quota > 0 && period > 0 ? quota / period : undefined;
  });
  if (!found) return undefined;
  const stat = join(found.dir, 'cpu.stat');
  return { cores: found.cores, idleShare: fromUsage(found.cores, () => Number(/usage_usec (\d+)/.exec(read(stat) ?? '')?.[1] ?? 0)) };
}

/** The smallest quota on the way from `path` up to the hierarchy root. */
function smallest(base: string, path: string, quotaOf: (dir: string) => number | undefined): { cores: number; dir: string } | undefined {
  let best: { cores: number; dir: string } | undefined;
  for (let dir = join(base, path); ; dir = dirname(dir)) {
    const cores = quotaOf(dir);
    if (cores !== undefined && (best === undefined || cores < best.cores)) best = { cores, dir };
    if (dir === base || !dir.startsWith(base)) break;
  }
  return best;
}

function existsDir(dir: string): boolean {
  return read(join(dir, 'cgroup.procs')) !== undefined;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readNumber(file: string): number | undefined {
  const text = read(file);
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
}

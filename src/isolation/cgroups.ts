/**
 * One cgroup per sandbox process, under a per-node parent: `nimbus/<node-id>/sbx-N` in every
 * controller hierarchy (cgroup v1: memory, pids, cpu, cpuacct mounted one each or co-mounted) or
 * in the one unified tree (cgroup v2). The node id is `<pid>-<start time>` of the node process, so
 * a later run can tell a dead node's leftovers (kill and remove) from a live node's (never touch).
 *
 * Only plain file reads and writes: the same code runs against a fake cgroupfs folder in the
 * unit tests (`root` and `removeDir` are injectable).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type CgroupVersion = 1 | 2;

export interface CgroupLimits {
  memoryBytes: number;
  pids: number;
  /** Relative CPU weight, 1..10000 as in v2 (v1 shares = weight × 1024 / 100). */
  cpuWeight: number;
}

/** The idle CPU quota: 5% of one core (period 100 ms). */
export const IDLE_QUOTA_US = 5000;
export const CPU_PERIOD_US = 100_000;
const V1_CONTROLLERS = ['memory', 'pids', 'cpu', 'cpuacct'] as const;
type V1Controller = (typeof V1_CONTROLLERS)[number];

export interface CgroupsOptions {
  root?: string;
  /** Force a version (tests); default: v2 when `<root>/cgroup.controllers` exists (pure unified). */
  version?: CgroupVersion;
  /** How an emptied cgroup is removed (rmdir on cgroupfs; a recursive rm on a fake one). */
  removeDir?: (dir: string) => void;
  /** Signal a process (tests stub it). */
  kill?: (pid: number) => void;
}

export class Cgroups {
  readonly root: string;
  readonly version: CgroupVersion;
  private readonly removeDir: (dir: string) => void;
  private readonly killPid: (pid: number) => void;

  constructor(options: CgroupsOptions = {}) {
    this.root = options.root ?? '/sys/fs/cgroup';
    this.version = options.version ?? (existsSync(join(this.root, 'cgroup.controllers')) ? 2 : 1);
    this.removeDir = options.removeDir ?? ((dir) => rmdirSync(dir));
    this.killPid =
      options.kill ??
      ((pid) => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      });
  }

  /** Hierarchy roots this node writes to: one (v2) or one per distinct v1 controller mount. */
  hierarchies(): string[] {
    if (this.version === 2) return [this.root];
    const seen = new Map<string, string>();
    for (const c of V1_CONTROLLERS) {
      const dir = join(this.root, c);
      if (!existsSync(dir)) continue;
      let real = dir;
      try {
        real = realpathSync(dir);
      } catch {
        // Keep the path as is.
      }
      if (!seen.has(real)) seen.set(real, dir);
    }
    return [...seen.values()];
  }

  /** Which controllers a sandbox cgroup gets (what the capability report shows). */
  controllers(): string[] {
    if (this.version === 1) return V1_CONTROLLERS.filter((c) => existsSync(join(this.root, c)));
    try {
      return readFileSync(join(this.root, 'cgroup.controllers'), 'utf8')
        .trim()
        .split(/\s+/)
        .filter((c) => ['memory', 'pids', 'cpu'].includes(c));
    } catch {
      return [];
    }
  }

  /** The node's parent cgroup; v2 enables the controllers for its children on the way down. */
  /**
   * The node's parent cgroup; v2 enables the controllers for its children on the way down.
   * `cpuWeight` of the parents: all of a node's sandboxes compete with the host's other tasks as
   * one group, so the group weighs as much as `cores` ordinary tasks (enough to fill every core
   * when the host is otherwise idle, no more than that many busy processes under contention).
   */
  nodeGroup(nodeId: string, cpuWeight = 100): NodeCgroup {
    for (const h of this.hierarchies()) {
      mkdirSync(join(h, 'nimbus', nodeId), { recursive: true });
      if (this.version === 2) {
        const enable = this.controllers()
          .map((c) => `+${c}`)
          .join(' ');
        for (const dir of [h, join(h, 'nimbus'), join(h, 'nimbus', nodeId)]) tryWrite(join(dir, 'cgroup.subtree_control'), enable);
      }
    }
    for (const dir of this.dirsOf('nimbus').concat(this.dirsOf(`nimbus/${nodeId}`))) {
      if (this.version === 2) tryWrite(join(dir, 'cpu.weight'), String(Math.min(10_000, cpuWeight)));
      else if (existsSync(join(dir, 'cpu.shares')) || dir.startsWith(join(this.root, 'cpu') + '/')) tryWrite(join(dir, 'cpu.shares'), String(Math.round((cpuWeight * 1024) / 100)));
    }
    return new NodeCgroup(this, nodeId);
  }

  /** Node ids with a parent cgroup here (live or not). */
  nodeIds(): string[] {
    const ids = new Set<string>();
    for (const h of this.hierarchies()) for (const id of listDirs(join(h, 'nimbus'))) ids.add(id);
    return [...ids];
  }

  /**
   * Kill and remove what dead nodes left behind (`isLive(nodeId)` false). Never touches a live
   * node's groups: several nodes may share a host.
   */
  reapDead(isLive: (nodeId: string) => boolean): string[] {
    const reaped: string[] = [];
    for (const id of this.nodeIds()) {
      if (isLive(id)) continue;
      new NodeCgroup(this, id).destroy();
      reaped.push(id);
    }
    return reaped;
  }

  /** @internal */
  dirsOf(relative: string): string[] {
    return this.hierarchies().map((h) => join(h, relative));
  }

  /** @internal SIGKILL every process of these dirs (v2: cgroup.kill when the kernel has it). */
  killDirs(dirs: string[]): void {
    for (const dir of dirs) {
      // A frozen group (v1 freezer or v2 cgroup.freeze) cannot die until thawed.
      if (this.version === 2) {
        tryWrite(join(dir, 'cgroup.freeze'), '0');
        if (existsSync(join(dir, 'cgroup.kill')) && tryWrite(join(dir, 'cgroup.kill'), '1')) continue;
      }
      for (const pid of procsOf(dir)) this.killPid(pid);
    }
  }

  /** @internal rmdir, children first; false when something is still in use. */
  removeDirs(dirs: string[]): boolean {
    let ok = true;
    for (const dir of dirs) {
      if (!existsSync(dir)) continue;
      for (const child of listDirs(dir)) ok = this.removeDirs([join(dir, child)]) && ok;
      try {
        this.removeDir(dir);
      } catch {
        ok = false;
      }
    }
    return ok;
  }
}

/** The node's `nimbus/<node-id>` groups: creates sandbox groups, kills them all at shutdown. */
export class NodeCgroup {
  private counter = 0;

  constructor(
    private readonly cgroups: Cgroups,
    readonly nodeId: string,
  ) {}

  /** A new, empty group with its limits set, ready for a process to join (`procsFiles`). */
  create(limits: CgroupLimits): SandboxCgroup {
    const name = `sbx-${++this.counter}`;
    const group = new SandboxCgroup(this.cgroups, `nimbus/${this.nodeId}/${name}`);
    group.create(limits);
    return group;
  }

  /** Kill every sandbox of this node and remove its groups (shutdown, or a dead node's leftovers). */
  destroy(): boolean {
    const top = this.cgroups.dirsOf(`nimbus/${this.nodeId}`);
    const all = top.flatMap((d) => [...listDirs(d).map((c) => join(d, c)), d]);
    this.cgroups.killDirs(all);
    return this.cgroups.removeDirs(top);
  }
}

/** One sandbox process's group. Every method is one or two small file operations. */
export class SandboxCgroup {
  readonly dirs: string[];
  private idle = false;
  private lowWeight = false;
  private limits: CgroupLimits = { memoryBytes: 0, pids: 0, cpuWeight: 100 };

  constructor(
    private readonly cgroups: Cgroups,
    readonly path: string,
  ) {
    this.dirs = cgroups.dirsOf(path);
  }

  /** `cgroup.procs` of every hierarchy: the launcher writes the sandbox's pid there before it execs. */
  get procsFiles(): string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  create(limits: CgroupLimits): void {
    this.limits = limits;
    for (const d of this.dirs) mkdirSync(d, { recursive: true });
    if (this.cgroups.version === 2) {
      write(this.file('memory.max'), String(limits.memoryBytes));
      tryWrite(this.file('memory.swap.max'), '0');
      // Kill the whole group on OOM, not one thread of it.
      tryWrite(this.file('memory.oom.group'), '1');
      write(this.file('pids.max'), String(limits.pids));
      tryWrite(this.file('cpu.weight'), String(limits.cpuWeight));
    } else {
      write(this.file('memory.limit_in_bytes', 'memory'), String(limits.memoryBytes));
      // Where swap accounting exists, swap counts too (no escape into swap).
      tryWrite(this.file('memory.memsw.limit_in_bytes', 'memory'), String(limits.memoryBytes));
      write(this.file('pids.max', 'pids'), String(limits.pids));
      tryWrite(this.file('cpu.shares', 'cpu'), String(Math.max(2, Math.round((limits.cpuWeight * 1024) / 100))));
    }
  }

  /** Idle: CPU quota of 5% of a core; busy: no quota. Writes only when the state changes. */
  setIdle(idle: boolean): void {
    if (idle === this.idle) return;
    this.idle = idle;
    if (this.cgroups.version === 2) tryWrite(this.file('cpu.max'), idle ? `${IDLE_QUOTA_US} ${CPU_PERIOD_US}` : `max ${CPU_PERIOD_US}`);
    else {
      if (idle) tryWrite(this.file('cpu.cfs_period_us', 'cpu'), String(CPU_PERIOD_US));
      tryWrite(this.file('cpu.cfs_quota_us', 'cpu'), idle ? String(IDLE_QUOTA_US) : '-1');
    }
  }

  get isIdle(): boolean {
    return this.idle;
  }

  /** A lower CPU weight (a long invocation yields to short ones), or back to normal. */
  setLowWeight(low: boolean): void {
    if (low === this.lowWeight) return;
    this.lowWeight = low;
    const weight = low ? Math.max(1, Math.round(this.limits.cpuWeight / 8)) : this.limits.cpuWeight;
    if (this.cgroups.version === 2) tryWrite(this.file('cpu.weight'), String(weight));
    else tryWrite(this.file('cpu.shares', 'cpu'), String(Math.max(2, Math.round((weight * 1024) / 100))));
  }

  /** Memory charged to the group now (heap, Buffers, tmpfs pages), bytes. */
  memoryUsage(): number | undefined {
    return readNumber(this.cgroups.version === 2 ? this.file('memory.current') : this.file('memory.usage_in_bytes', 'memory'));
  }

  /** CPU time used by the group so far, microseconds. */
  cpuUsageUs(): number | undefined {
    if (this.cgroups.version === 2) return readKey(this.file('cpu.stat'), 'usage_usec');
    const ns = readNumber(this.file('cpuacct.usage', 'cpuacct'));
    return ns === undefined ? undefined : Math.round(ns / 1000);
  }

  /** Whether the kernel's OOM killer has killed in this group. */
  oomKilled(): boolean {
    const n = this.cgroups.version === 2 ? readKey(this.file('memory.events'), 'oom_kill') : readKey(this.file('memory.oom_control', 'memory'), 'oom_kill');
    return (n ?? 0) > 0;
  }

  /** No process left in it. */
  isEmpty(): boolean {
    return this.dirs.every((d) => procsOf(d).length === 0);
  }

  kill(): void {
    this.cgroups.killDirs(this.dirs);
  }

  /** Remove the group once empty; false while a process is still in it. */
  remove(): boolean {
    return this.cgroups.removeDirs(this.dirs);
  }

  private file(name: string, controller?: V1Controller): string {
    if (this.cgroups.version === 2 || controller === undefined) return join(this.dirs[0] ?? '', name);
    const dir = this.dirs.find((d) => d.startsWith(join(this.cgroups.root, controller) + '/')) ?? this.dirs.find((d) => existsSync(join(d, name)));
    return join(dir ?? this.dirs[0] ?? '', name);
  }
}

function write(file: string, value: string): void {
  writeFileSync(file, value);
}

function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

function readNumber(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** `key value` lines (cpu.stat, memory.events, memory.oom_control). */
function readKey(file: string, key: string): number | undefined {
  try {
    const line = readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${key} `));
    return line === undefined ? undefined : Number(line.slice(key.length + 1));
  } catch {
    return undefined;
  }
}

function procsOf(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * The launcher: one `sh` that joins the sandbox's cgroups and lowers its open-file limit, then
 * execs (as root) `setpriv` to the sandbox's uid, which execs bubblewrap, which starts node in new
 * user, pid, mount, ipc, uts, cgroup and network namespaces (loopback only). No code of the
 * function runs before the process is in its cgroups (the pid is written before the first exec).
 *
 * Inside, the file system is: the node binary and its shared libraries (read-only, exact paths), the
 * shim at /nimbus/shim (read-only), /run/nimbus (read-only, the node's per-process run dir), a fresh
 * /proc and minimal /dev, and /tmp: a private tmpfs of `ephemeralStorage` MB. Everything else,
 * the root and /dev included, is read-only, so socket files can be made only in /tmp.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Confinement, ConfineRequest } from '../runtime/confinement.js';
import type { NodeCgroup, SandboxCgroup } from './cgroups.js';

export const SHIM_DIR_INSIDE = '/nimbus/shim';
export const RUN_DIR_INSIDE = '/run/nimbus';

export interface LauncherOptions {
  bwrap: string;
  /** `setpriv` to switch to the sandbox uid (root only). */
  setpriv?: string;
  /** Per-process run dirs are made under here. */
  runRoot: string;
  /** Read-only binds that node needs (binary, libraries, loader cache). */
  binds: string[];
  /** The node's cgroups parent, when cgroups are on. */
  cgroup?: NodeCgroup;
  /** MB on top of the function's memory for the runtime itself (≤ 128). */
  runtimeAllowanceMb: number;
  pids: number;
  nofile: number;
  /** Default size of /tmp, MB. */
  tmpfsMb: number;
  /** Idle CPU control: told when a confinement goes idle or busy. */
  idle?: { idle(c: SandboxCgroup): void; busy(c: SandboxCgroup): void };
  log?: (line: string) => void;
}

let counter = 0;

/** Files node needs to start: the binary, its shared libraries (from ldd), the loader cache. */
export function nodeBinds(execPath = process.execPath): string[] {
  const out = new Set<string>([realpathSync(execPath)]);
  if (execPath !== realpathSync(execPath)) out.add(execPath);
  try {
    const ldd = execFileSync('ldd', [execPath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const m of ldd.matchAll(/(\/[^\s)]+)/g)) if (m[1] !== undefined && existsSync(m[1])) out.add(m[1]);
  } catch {
    // A static binary, or no ldd: bind the usual library folders instead.
    for (const d of ['/usr/lib', '/usr/lib64', '/lib', '/lib64']) if (existsSync(d)) out.add(d);
  }
  if (existsSync('/etc/ld.so.cache')) out.add('/etc/ld.so.cache');
  // Name resolution for functions whose egress policy lets them out (read-only, as on the host).
  for (const f of ['/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf']) if (existsSync(f)) out.add(f);
  return [...out];
}

/** One sandbox process's confinement (see runtime/confinement.ts for its life). */
export class BwrapConfinement implements Confinement {
  readonly command = '/bin/sh';
  readonly args: string[];
  readonly cwd = '/';
  readonly env = { TMPDIR: '/tmp', HOME: '/tmp' };
  readonly runDir: string;
  readonly cgroup: SandboxCgroup | undefined;
  private pid: number | undefined;
  private init: number | undefined;
  private node: number | undefined;
  private disposed: Promise<void> | undefined;

  constructor(
    private readonly o: LauncherOptions,
    request: ConfineRequest,
  ) {
    this.runDir = join(o.runRoot, `sbx-${++counter}`);
    mkdirSync(this.runDir, { recursive: true });
    chmodSync(this.runDir, 0o755);
    const memoryBytes = (request.memoryMb + o.runtimeAllowanceMb) * 1024 * 1024;
    try {
      this.cgroup = o.cgroup?.create({ memoryBytes, pids: o.pids, cpuWeight: 100 });
    } catch (err) {
      rmSync(this.runDir, { recursive: true, force: true });
      throw err;
    }
    const shimDir = dirname(request.shimPath);
    const node = request.nodeCommand({ shimPath: `${SHIM_DIR_INSIDE}/${basename(request.shimPath)}`, shimDir: SHIM_DIR_INSIDE, tmpDir: '/tmp' });
    const bwrap = [o.bwrap, '--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--hostname', 'sandbox'];
    for (const b of o.binds) bwrap.push('--ro-bind', b, b);
    bwrap.push('--ro-bind', shimDir, SHIM_DIR_INSIDE, '--ro-bind', this.runDir, RUN_DIR_INSIDE);
    bwrap.push('--proc', '/proc', '--dev', '/dev', '--size', String(o.tmpfsMb * 1024 * 1024), '--tmpfs', '/tmp');
    // After every mount is in place: nothing but /tmp is writable (no socket files elsewhere, no shared /dev/shm).
    bwrap.push('--remount-ro', '/dev', '--remount-ro', '/', '--chdir', '/tmp', '--');
    const asUser = request.uid !== undefined && o.setpriv ? [o.setpriv, `--reuid=${request.uid}`, `--regid=${request.uid}`, '--clear-groups', '--inh-caps=-all'] : [];
    const join_ = (this.cgroup?.procsFiles ?? []).map((f) => `echo $$ > ${quote(f)} || exit 97; `).join('');
    this.args = [
      '-c',
      `${join_}n=$(ulimit -Hn); [ "$n" = unlimited ] || [ "$n" -gt ${o.nofile} ] && n=${o.nofile}; ulimit -n "$n" || exit 97; exec "$@"`,
      'nimbus-sandbox',
      ...asUser,
      ...bwrap,
      ...node,
    ];
  }

  started(pid: number): void {
    this.pid = pid;
  }

  /** bwrap's child (pid 1 inside): it lives in the new network namespace. */
  netnsPid(): number | undefined {
    // Early on the launcher shell's child may be a subshell (`$(ulimit -Hn)`) in the host's
    // namespace: only a child in another network namespace is bubblewrap's.
    if (this.init === undefined && this.pid !== undefined) {
      const child = firstChild(this.pid);
      if (child !== undefined && ownNetns(child)) this.init = child;
    }
    return this.init;
  }

  innerPid(): number | undefined {
    if (this.node !== undefined) return this.node;
    const init = this.netnsPid();
    if (init === undefined) return undefined;
    // bwrap's pid 1 runs node as its child (pid 2 inside).
    this.node = firstChild(init);
    return this.node;
  }

  busy(): void {
    if (this.cgroup) this.o.idle?.busy(this.cgroup);
  }

  idle(): void {
    if (this.cgroup) this.o.idle?.idle(this.cgroup);
  }

  lowerCpu(low: boolean): boolean {
    if (!this.cgroup) return false;
    this.cgroup.setLowWeight(low);
    return true;
  }

  oomKilled(): boolean {
    return this.cgroup?.oomKilled() ?? false;
  }

  kill(): void {
    this.cgroup?.kill();
  }

  dispose(): Promise<void> {
    return (this.disposed ??= this.release());
  }

  disposeSync(): void {
    this.cgroup?.kill();
    rmSync(this.runDir, { recursive: true, force: true });
  }

  private async release(): Promise<void> {
    const cg = this.cgroup;
    if (cg) {
      this.o.idle?.busy(cg);
      // Whatever is left (a process that escaped bwrap's teardown) dies with the group.
      for (let i = 0; i < 100 && !cg.isEmpty(); i++) {
        cg.kill();
        await new Promise((r) => setTimeout(r, 20));
      }
      for (let i = 0; i < 50 && !cg.remove(); i++) await new Promise((r) => setTimeout(r, 20));
    } else {
      // No cgroup: the node process inside must be gone (the pid namespace dies with bwrap's pid 1).
      const pid = this.node;
      for (let i = 0; pid !== undefined && i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 20));
    }
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

/** Whether `pid` lives in a network namespace other than the node's. */
function ownNetns(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`) !== readlinkSync('/proc/self/ns/net');
  } catch {
    return false;
  }
}

function firstChild(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(' ')[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

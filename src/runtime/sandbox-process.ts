/**
 * One sandboxed OS process running the runtime shim (src/sandbox/shim.ts).
 *
 * Isolation, in layers: Node's permission model (reads only the shim's folder, writes only its
 * own temp dir, no child processes, workers, addons, inspector or WASI); an empty environment;
 * its own uid when the host runs as root (so signals cannot reach the platform or a sibling —
 * the permission model does not cover `kill`); a V8 heap limit plus the host's RSS watch; a
 * raised nice value once an invocation runs long, so CPU-bound functions yield to the gateway and
 * to short requests.
 *
 * This class knows nothing of functions or scheduling: it spawns, frames messages, and reports
 * how the process ended.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, chownSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { join, dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { HostMessage, SandboxMessage } from '../sandbox/protocol.js';
import { FrameDecoder } from './frames.js';
import { parseSandboxMessage } from './messages.js';
import { ProtocolGuard } from './protocol-guard.js';
import type { Confine, Confinement, NodeCommandPaths } from './confinement.js';
import type { ExitInfo, KillReason, SandboxTransport } from './transport.js';

export type { ExitInfo, KillReason } from './transport.js';

export interface SandboxSpawnOptions {
  /** Absolute path of the compiled shim entry (dist/src/sandbox/shim.js). */
  shimPath: string;
  /** Parent folder for per-process temp dirs. */
  tmpRoot: string;
  memoryMb: number;
  /** Size of its private /tmp, MB, when confined (the function's ephemeralStorage). */
  ephemeralMb?: number;
  /** Run as this uid/gid (host is root), or undefined to keep the host's. */
  uid?: number;
  /** OS isolation around the process (namespaces, cgroups: src/isolation); none = the permission model and uid only. */
  confine?: Confine;
}

const PAGE_SIZE = 4096;

/** The node command of a sandbox: the permission model grants reading the shim and its temp dir, writing only the latter. */
export function nodeCommand(memoryMb: number, paths: NodeCommandPaths): string[] {
  return [
    process.execPath,
    '--experimental-permission',
    `--allow-fs-read=${paths.shimDir}`,
    `--allow-fs-read=${paths.tmpDir}`,
    `--allow-fs-write=${paths.tmpDir}`,
    `--max-old-space-size=${memoryMb}`,
    '--disable-warning=ExperimentalWarning',
    paths.shimPath,
  ];
}

export class SandboxProcess implements SandboxTransport {
  readonly memoryMb: number;
  readonly tmpDir: string;
  readonly uid: number | undefined;
  readonly ready: Promise<void>;
  readonly exited: Promise<ExitInfo>;
  /** RSS in bytes right after warm-up: the runtime's own share, not charged to the function. */
  baselineRss = 0;
  onMessage: (message: SandboxMessage) => void = () => {};
  onOutput: (stream: 'stdout' | 'stderr', line: string) => void = () => {};
  private readonly child: ChildProcess;
  private readonly channel: Duplex;
  private killedFor: KillReason | null = null;
  /** The first protocol violation, if the process was killed for one. */
  private violated: string | undefined;
  private readonly guard = new ProtocolGuard();
  private stderrTail = '';
  private alive = true;
  private deprioritized = false;
  private resolveReady: () => void = () => {};
  private readonly confinement: Confinement | undefined;
  /** Invocations (and a load) handed over and not finished: 0 = idle (idle CPU control). */
  private working = 0;
  private readonly pendingSettle = new Set<string>();

  constructor(options: SandboxSpawnOptions) {
    this.memoryMb = options.memoryMb;
    this.uid = options.uid;
    const build = (paths: NodeCommandPaths) => nodeCommand(options.memoryMb, paths);
    if (options.confine) {
      // Its own mount namespace: /tmp is a private tmpfs, nothing of it is on the host's disk.
      this.confinement = options.confine({ memoryMb: options.memoryMb, ephemeralMb: options.ephemeralMb, shimPath: options.shimPath, uid: options.uid, nodeCommand: build });
      this.tmpDir = '';
      const c = this.confinement;
      this.child = spawn(c.command, c.args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: c.env, cwd: c.cwd });
      if (this.child.pid !== undefined) c.started(this.child.pid);
    } else {
      // A random name: the host's pid is none of the function's business (issue 8, finding 10).
      this.tmpDir = join(options.tmpRoot, `sbx-${randomBytes(8).toString('hex')}`);
      mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
      if (options.uid !== undefined) chownSync(this.tmpDir, options.uid, options.uid);
      const [command = process.execPath, ...args] = build({ shimPath: options.shimPath, shimDir: dirname(options.shimPath), tmpDir: this.tmpDir });
      this.child = spawn(command, args, {
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        env: { TMPDIR: this.tmpDir, HOME: this.tmpDir },
        cwd: this.tmpDir,
        ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
      });
    }
    // Out of descriptors (EMFILE) or processes (EAGAIN), spawn reports on the next tick and leaves
    // no pipes: listen at once, free what was made, and throw here, where the pool and runtime catch.
    this.child.on('error', () => {});
    if (!this.child.stdio[3] || !this.child.stdout || !this.child.stderr) this.abandon();
    this.channel = this.child.stdio[3] as Duplex;
    this.channel.setEncoding('utf8');
    const decoder = new FrameDecoder(
      (value) => this.receive(value),
      (reason) => this.violation(reason),
    );
    this.channel.on('data', (chunk: string) => decoder.push(chunk));
    this.channel.on('error', () => {});
    this.pipeLines(this.child.stdout, 'stdout');
    this.pipeLines(this.child.stderr, 'stderr');

    let rejectReady!: (err: Error) => void;
    this.ready = new Promise((res, rej) => ((this.resolveReady = res), (rejectReady = rej)));
    this.ready.catch(() => {});

    this.exited = new Promise((resolve) => {
      this.child.on('error', () => {});
      this.child.on('close', (code, signal) => {
        this.alive = false;
        rejectReady(new Error(`sandbox process exited during start-up (code ${code}, signal ${signal}): ${this.stderrTail.trim().slice(-500)}`));
        // A kernel OOM kill (memory cgroup) ends the process with SIGKILL and no message: the group's counter tells.
        const kernelOom = this.confinement?.oomKilled() === true;
        const oom = kernelOom || this.killedFor === 'oom' || signal === 'SIGABRT' || code === 134 || /heap out of memory|Reached heap limit/.test(this.stderrTail);
        if (kernelOom) this.stderrTail += '\n[nimbus] the kernel stopped the process at its memory limit (cgroup)\n';
        const info: ExitInfo = { code, signal, killedFor: this.killedFor, oom, stderrTail: this.stderrTail, ...(this.violated !== undefined ? { violation: this.violated } : {}) };
        if (this.confinement) void this.confinement.dispose().then(() => resolve(info));
        else {
          resolve(info);
          void rm(this.tmpDir, { recursive: true, force: true }).catch(() => {});
        }
      });
    });
  }

  /** A spawn that left no process or no pipes: free its parts and fail the constructor. */
  private abandon(): never {
    if (this.child.pid !== undefined) this.child.kill('SIGKILL');
    for (const stream of this.child.stdio) (stream as Duplex | null)?.destroy();
    if (this.tmpDir) rmSync(this.tmpDir, { recursive: true, force: true });
    void this.confinement?.dispose();
    throw new Error(`a sandbox process could not be started: spawn ${this.child.pid === undefined ? 'failed (out of file descriptors or processes?)' : 'left no channel'}`);
  }

  /** A host pid inside the sandbox's own network namespace (see SandboxTransport). */
  get netnsPid(): number | undefined {
    return this.alive ? this.confinement?.netnsPid() : undefined;
  }

  /** Host folder seen read-only at /run/nimbus inside the sandbox. */
  get runDir(): string | undefined {
    return this.confinement?.runDir;
  }

  /** The node process's host pid (behind the launcher when namespaces are on). */
  private get nodePid(): number | undefined {
    return this.confinement ? this.confinement.innerPid() : this.child.pid;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  send(message: HostMessage): void {
    if (!this.alive) return;
    if (message.t === 'load' || message.t === 'http' || message.t === 'event') this.work(+1);
    // Messages sent in one event-loop turn leave in one write: a write wakes the sandbox
    // process, and under load that wake-up, not the bytes, is the cost.
    if (!this.corked) {
      this.corked = true;
      this.channel.cork();
      setImmediate(this.uncork);
    }
    this.channel.write(JSON.stringify(message) + '\n');
  }

  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.channel.uncork();
  };

  /** Lower this process's CPU priority: its cgroup's CPU weight, else a nice value (raising one needs no privilege). */
  deprioritize(nice = 10): void {
    if (this.deprioritized || !this.alive) return;
    this.deprioritized = true;
    if (this.confinement?.lowerCpu(true)) return;
    const pid = this.nodePid;
    if (pid === undefined) return;
    try {
      setPriority(pid, nice);
    } catch {
      // Not fatal: only fairness under CPU contention is lost.
    }
  }

  /**
   * Back to normal priority once the long invocation is over. Lowering a nice value needs root
   * (CAP_SYS_NICE); without it the process keeps the raised value until it is retired.
   */
  reprioritize(): void {
    if (!this.deprioritized || !this.alive) return;
    if (this.confinement?.lowerCpu(false)) {
      this.deprioritized = false;
      return;
    }
    const pid = this.nodePid;
    if (pid === undefined) return;
    try {
      setPriority(pid, 0);
      this.deprioritized = false;
    } catch {
      // Not root: it stays at the lower priority.
    }
  }

  /** RSS from /proc (Linux); undefined elsewhere or once the process is gone. */
  rss(): number | undefined {
    const pid = this.nodePid;
    if (!this.alive || pid === undefined) return undefined;
    try {
      const statm = readFileSync(`/proc/${pid}/statm`, 'latin1');
      return Number(statm.split(' ')[1]) * PAGE_SIZE;
    } catch {
      return undefined;
    }
  }

  /** SIGKILL now; the reason decides how in-flight invocations are reported. */
  kill(reason: KillReason): void {
    if (!this.alive) return;
    this.killedFor ??= reason;
    this.child.kill('SIGKILL');
    this.confinement?.kill();
  }

  /** Ask the process to exit (channel end), SIGKILL after `graceMs`. */
  async stop(graceMs = 1000): Promise<ExitInfo> {
    if (this.alive) {
      this.killedFor ??= 'retired';
      this.channel.end();
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        this.confinement?.kill();
      }, graceMs);
      timer.unref();
      const info = await this.exited;
      clearTimeout(timer);
      return info;
    }
    return this.exited;
  }

  /** Synchronous last resort for process exit: no orphans, no temp dirs left behind. */
  killSync(): void {
    if (this.alive) this.child.kill('SIGKILL');
    if (this.confinement) this.confinement.disposeSync();
    else rmSync(this.tmpDir, { recursive: true, force: true });
  }

  /** Count work handed over and finished; the confinement hears when it goes busy and idle. */
  private work(delta: number): void {
    const before = this.working;
    this.working = Math.max(0, this.working + delta);
    if (before === 0 && this.working > 0) this.confinement?.busy();
    else if (before > 0 && this.working === 0) this.confinement?.idle();
  }

  private track(message: SandboxMessage): void {
    switch (message.t) {
      case 'loaded':
      case 'loadError':
      case 'error':
        return this.work(-1);
      case 'done':
      case 'end':
        // waitUntil work still runs: busy until it settles.
        if (message.pending === true) this.pendingSettle.add(message.id);
        else this.work(-1);
        return;
      case 'settled':
        if (this.pendingSettle.delete(message.id)) this.work(-1);
        return;
      default:
        // Logs, binding calls: work of something already counted.
        return;
    }
  }

  private receive(value: unknown): void {
    const message = parseSandboxMessage(value);
    if (message === undefined) return this.violation('the sandbox sent a message of an unknown shape');
    const wrong = this.guard.check(message);
    if (wrong !== undefined) return this.violation(`the sandbox sent ${wrong}`);
    if (message.t === 'ready') {
      // What the process says, but never more than what it measures now: the watch's baseline.
      this.baselineRss = Math.min(message.rss, this.rss() ?? message.rss);
      this.resolveReady();
      return;
    }
    if (this.confinement) this.track(message);
    this.onMessage(message);
  }

  private violation(reason: string): void {
    if (!this.alive) return;
    this.violated ??= reason;
    this.stderrTail += `\n[nimbus] protocol violation: ${reason}\n`;
    this.kill('protocol');
  }

  private pipeLines(stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr'): void {
    if (!stream) return;
    stream.setEncoding('utf8');
    let pending = '';
    stream.on('data', (chunk: string) => {
      if (name === 'stderr') this.stderrTail = (this.stderrTail + chunk).slice(-8192);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (pending.length > 16384) {
        lines.push(pending);
        pending = '';
      }
      for (const line of lines) this.onOutput(name, capLine(line));
    });
    stream.on('end', () => {
      if (pending) this.onOutput(name, capLine(pending));
    });
  }
}

/**
 * What a process writes past the shim's capture (Node's own fatal-error reports) is cut as the
 * capture cuts a function's lines: a pipe read can hold 64 KB of one line (a minified bundle
 * quoted in an error report), which must not become 64 KB log lines.
 */
const MAX_LINE = 16 * 1024;
function capLine(line: string): string {
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…[truncated]` : line;
}

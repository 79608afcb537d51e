/**
 * Child processes under test (servers, load generators). Each one gets its own process group so
 * that stopping it also stops whatever it started (a platform's sandboxes, for one), and is
 * registered for emergency cleanup the moment it exists.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { descendants } from './rss.js';
import { onEmergency, type Scope } from './scope.js';

export { sleep };

export interface StartOptions {
  /** Shown in errors. */
  name: string;
  command: string;
  args: string[];
  /** Where stdout and stderr go. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds between SIGTERM and SIGKILL on stop. */
  graceMs?: number;
}

export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** The last lines of the process's output, for error messages. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL of the whole group after the grace period. Idempotent. */
  stop(): Promise<void>;
  /** Whether stop() has been called: an exit before that is a crash. */
  readonly stopping: boolean;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGKILL a process group plus every descendant that left it (setsid, bwrap). */
function killTree(pid: number): void {
  const rest = descendants(pid);
  killQuietly(-pid, 'SIGKILL');
  killQuietly(pid, 'SIGKILL');
  for (const p of rest) killQuietly(p, 'SIGKILL');
}

/** Start a process whose lifetime `scope` owns. */
export function startProcess(scope: Scope, opts: StartOptions): Proc {
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', fd, fd],
    detached: true, // own process group: stop() reaches the grandchildren
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${opts.name}: could not start ${opts.command}`);
  const unregister = onEmergency(() => killTree(pid));
  let code: number | string | null = null;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (c, s) => {
      code = c ?? s ?? 'unknown';
      resolve(code);
    });
    child.once('error', (err) => {
      code = String(err);
      resolve(code);
    });
  });
  let stopping: Promise<void> | null = null;
  const proc: Proc = {
    name: opts.name,
    pid,
    child,
    exited,
    logTail(lines = 30) {
      try {
        return readFileSync(opts.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
    get stopping() {
      return stopping !== null;
    },
    stop() {
      stopping ??= (async () => {
        const rest = descendants(pid);
        if (code === null) {
          killQuietly(pid, 'SIGTERM');
          // Unref'd: a pending grace timer must not keep the bench alive after the process is gone.
          const grace = sleep(opts.graceMs ?? 5000, undefined, { ref: false }).then(() => 'timeout' as const);
          if ((await Promise.race([exited, grace])) === 'timeout') process.stderr.write(`bench: ${opts.name} ignored SIGTERM, killing it\n`);
        }
        killQuietly(-pid, 'SIGKILL');
        for (const p of rest) killQuietly(p, 'SIGKILL');
        await exited;
        unregister();
      })();
      return stopping;
    },
  };
  scope.defer(() => proc.stop());
  return proc;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Poll `url` until it answers `status`; fail early if `proc` exits, or after `timeoutMs`. */
export async function waitForHttp(url: string, proc: Proc, timeoutMs = 20_000, status = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // An object, so TypeScript does not narrow it to null for the loop below.
  const exit: { code: number | string | null } = { code: null };
  void proc.exited.then((c) => {
    exit.code = c;
  });
  let last = '';
  while (Date.now() < deadline) {
    if (exit.code !== null) {
      throw new Error(`${proc.name} exited (${exit.code}) before ${url} answered:\n${proc.logTail()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === status) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(50);
  }
  throw new Error(`${proc.name}: ${url} did not answer ${status} within ${timeoutMs} ms (last: ${last}):\n${proc.logTail()}`);
}

/** Run a command to completion, capturing stdout; rejects on a non-zero exit. */
export function runCommand(command: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const unregister = child.pid === undefined ? () => true : onEmergency(() => killQuietly(child.pid as number, 'SIGKILL'));
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      unregister();
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      unregister();
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}): ${(err || out).trim().slice(-2000)}`));
    });
  });
}

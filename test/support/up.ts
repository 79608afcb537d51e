/**
 * `nimbus up` as a child process, as a user runs it (for tests about signals, restarts and
 * crashes, which an in-process server cannot show). Ports are free ones; `--json` makes the first
 * stdout line carry the URLs and the admin key file.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { NimbusClient } from '../../src/client/index.js';
import { MAIN } from '../../src/cli/run-cli.js';

export type UpChild = ChildProcessByStdio<null, Readable, Readable>;

export interface UpProcess {
  child: UpChild;
  gatewayUrl: string;
  adminUrl: string;
  /** smtp://host:port, when started with --smtp-port. */
  smtpUrl?: string;
  key: string;
  client: NimbusClient;
  /** Everything the process wrote to stderr so far. */
  stderr: () => string;
}

/** Start `nimbus up --port 0 --admin-port 0 --pool-size 1 --json …args` in `cwd` with an empty env, or only `env` (under `prefix`, if given). */
export function startUp(cwd: string, args: string[], prefix: string[] = [], env: Record<string, string> = {}): Promise<UpProcess> {
  const argv = [process.execPath, MAIN, 'up', '--port', '0', '--admin-port', '0', '--pool-size', '1', '--json', ...args];
  // `prefix`: a command that runs node, e.g. ['prlimit', '--nofile=256:256', '--'].
  const [cmd, ...rest] = [...prefix, ...argv] as [string, ...string[]];
  const child = spawn(cmd, rest, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    let started = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0 || started) return;
      // A refused start prints its error as (multi-line) JSON instead: the close handler reports it.
      let first: { gatewayUrl: string; adminUrl: string; smtpUrl?: string; adminKeyFile: string };
      try {
        first = JSON.parse(out.slice(0, nl)) as typeof first;
      } catch {
        return;
      }
      started = true;
      const { gatewayUrl, adminUrl, smtpUrl, adminKeyFile } = first;
      void readFile(adminKeyFile, 'utf8').then((raw) => {
        const key = raw.trim();
        resolve({ child, gatewayUrl, adminUrl, ...(smtpUrl ? { smtpUrl } : {}), key, client: new NimbusClient({ url: adminUrl, key }), stderr: () => err });
      }, reject);
    });
    child.on('close', (code) => reject(new Error(`nimbus up exited (${code}): ${out}${err}`)));
  });
}

/** Resolves when the process has exited (at once if it already has). */
export function exited(child: UpChild): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('close', () => resolve())));
}

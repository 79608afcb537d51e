/**
 * Cloudflare's workerd as a comparison point. The npm package `workerd` ships the binary through
 * a per-platform optional dependency; it is installed into a cache dir on first use (never as a
 * project dependency) and reused by later runs.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './context.js';
import { cacheDir } from './paths.js';
import { freePort, runCommand, startProcess, waitForHttp, type Proc } from './proc.js';
import type { Scope } from './scope.js';

/** Pinned so results stay comparable across runs; bump deliberately. */
export const WORKERD_VERSION = '1.20261117.1';
const COMPATIBILITY_DATE = '2024-09-23';

function platformPackage(): string | null {
  const arch = { x64: '64', arm64: 'arm64' }[process.arch as string];
  const os = { linux: 'linux', darwin: 'darwin' }[process.platform as string];
  return arch === undefined || os === undefined ? null : `@cloudflare/workerd-${os}-${arch}`;
}

export type WorkerdInstall = { ok: true; binary: string; version: string } | { ok: false; reason: string };

/** Install workerd into the cache (once) and check that the binary runs here. */
export async function ensureWorkerd(log: (line: string) => void): Promise<WorkerdInstall> {
  const pkg = platformPackage();
  if (pkg === null) return { ok: false, reason: `no workerd build for ${process.platform}-${process.arch}` };
  const dir = join(cacheDir, `workerd-${WORKERD_VERSION}`);
  const binary = join(dir, 'node_modules', ...pkg.split('/'), 'bin', 'workerd');
  try {
    if (!existsSync(binary)) {
      log(`installing workerd@${WORKERD_VERSION} into ${dir}`);
      mkdirSync(dir, { recursive: true });
      // Its own package.json, so npm never walks up to the project's.
      writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
      // --ignore-scripts: the binary comes with the platform package; the postinstall only relinks it.
      await runCommand('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', `workerd@${WORKERD_VERSION}`], {
        timeoutMs: 300_000,
      });
    }
    const version = (await runCommand(binary, ['--version'], { timeoutMs: 30_000 })).trim();
    return { ok: true, binary, version };
  } catch (err) {
    return { ok: false, reason: `workerd could not be installed or run: ${(err as Error).message.split('\n')[0] ?? ''}` };
  }
}

export interface WorkerdServer {
  url: string;
  proc: Proc;
}

/** Serve `moduleSource` (an ES module with a default `{ fetch }`) from a workerd process. */
export async function startWorkerd(ctx: BenchContext, scope: Scope, binary: string, moduleSource: string): Promise<WorkerdServer> {
  const dir = join(ctx.tmpDir, 'workerd');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  writeFileSync(join(dir, 'worker.js'), moduleSource);
  writeFileSync(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .hello) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const hello :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
);
`,
  );
  const proc = startProcess(scope, {
    name: 'workerd',
    command: binary,
    args: ['serve', join(dir, 'config.capnp')],
    cwd: dir,
    logFile: join(ctx.tmpDir, 'workerd.log'),
  });
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(url, proc);
  return { url, proc };
}

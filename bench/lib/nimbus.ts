/**
 * Start a Nimbus node for a case, the way a user does (`nimbus up`), and deploy bench apps to it
 * through the project's own client. The node runs in its own process (and process group), with
 * its log in the run's temp dir.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NimbusClient, deployDir } from '../../src/client/index.js';
import type { BenchContext } from './context.js';
import { nimbusCli, profDir } from './paths.js';
import { freePort, startProcess, waitForHttp, type Proc } from './proc.js';
import { treeMemory, type TreeMemory } from './rss.js';
import type { Scope } from './scope.js';

export interface NimbusNode {
  name: string;
  proc: Proc;
  gatewayUrl: string;
  adminUrl: string;
  key: string;
  client: NimbusClient;
  dataDir: string;
  /** Deploy an app directory; returns the wall time in ms (bundling included, as for a user). */
  deploy(appDir: string): Promise<number>;
  memory(): TreeMemory;
}

const crashes: string[] = [];

/** Nimbus nodes that died without being asked to since the last call, with their last output. */
export function takeCrashes(): string[] {
  return crashes.splice(0);
}

export interface NimbusStartOptions {
  /** Short label, used for the data dir and the log file. */
  name: string;
  poolSize?: number;
  maxInstances?: number;
  /** `nimbus up --isolation` (default: the default, auto). */
  isolation?: 'auto' | 'off';
  /** More `nimbus up` arguments (e.g. `--db postgres://… --node-id a`). */
  extraArgs?: string[];
  /** Environment of the node (default: the bench's). */
  env?: NodeJS.ProcessEnv;
  /** Run the node under this command (e.g. the CPU-share wrapper of cpu-share.ts). */
  wrap?: string[];
}

/** Start `nimbus up` on free ports and wait until its control API answers /healthz. */
export async function startNimbus(ctx: BenchContext, scope: Scope, opts: NimbusStartOptions): Promise<NimbusNode> {
  const dataDir = join(ctx.tmpDir, `nimbus-${opts.name}-${Date.now().toString(36)}`);
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const adminPort = await freePort();
  const nodeArgs: string[] = [];
  if (ctx.cpuProf) {
    mkdirSync(profDir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', profDir);
    ctx.log(`  cpu profile of nimbus(${opts.name}) goes to ${profDir} (the file name holds the pid)`);
  }
  const args = [...nodeArgs, nimbusCli, 'up', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), '--admin-port', String(adminPort)];
  if (opts.poolSize !== undefined) args.push('--pool-size', String(opts.poolSize));
  if (opts.maxInstances !== undefined) args.push('--max-instances', String(opts.maxInstances));
  if (opts.isolation !== undefined) args.push('--isolation', opts.isolation);
  args.push(...(opts.extraArgs ?? []));
  const [command, ...wrapped] = [...(opts.wrap ?? []), process.execPath, ...args] as [string, ...string[]];
  const proc = startProcess(scope, {
    name: `nimbus(${opts.name})`,
    command,
    args: wrapped,
    // Its own CLI config dir: a node the bench kills (failover) cannot take its entry out of the user's ~/.config/nimbus.
    env: { ...(opts.env ?? process.env), NIMBUS_CONFIG_DIR: join(ctx.tmpDir, 'cli-config') },
    logFile: join(ctx.tmpDir, `nimbus-${opts.name}.log`),
    graceMs: 10_000,
  });
  void proc.exited.then((code) => {
    if (!proc.stopping) crashes.push(`${proc.name} exited on its own (${code}); its last output:\n${proc.logTail(15)}`);
  });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitForHttp(`${adminUrl}/healthz`, proc, 30_000);
  const key = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
  const client = new NimbusClient({ url: adminUrl, key });
  return {
    name: opts.name,
    proc,
    gatewayUrl: `http://127.0.0.1:${port}`,
    adminUrl,
    key,
    client,
    dataDir,
    async deploy(appDir) {
      const t0 = performance.now();
      await deployDir(client, appDir);
      return performance.now() - t0;
    },
    memory: () => treeMemory(proc.pid),
  };
}

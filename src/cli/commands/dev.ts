/** `nimbus dev [dir]`: an embedded node that serves the app in dir and redeploys it on every save. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { NimbusError } from '../../shared/errors.js';
import { colorWanted, readMasterKey } from '../config.js';
import type { CliContext } from '../context.js';
import { printLine, reportError } from '../output.js';
import { parseCount, parsePort } from './options.js';
import { portInUse, rememberNode } from './up.js';

interface DevFlags {
  dataDir?: string;
  host: string;
  port: number;
  adminPort: number;
  isolation: string;
  poolSize?: number;
}

const ISOLATION_MODES = ['auto', 'strict', 'off'] as const;

export function registerDevCommand(program: Command, ctx: CliContext): void {
  program
    .command('dev')
    .description('run the app in dir on an embedded node and redeploy what changed on every save; prints each invocation and its logs')
    .argument('[dir]', 'the app directory', '.')
    .option('--data-dir <dir>', 'keep the node’s data here (default: a temporary dir, removed on exit)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'gateway port (0 = any free port)', parsePort, 8080)
    .option('--admin-port <port>', 'control API port (0 = any free port)', parsePort, 8081)
    .option('--pool-size <n>', 'pre-warmed processes kept ready per memory size', parseCount)
    .option('--isolation <mode>', 'sandbox isolation: auto, strict or off (as for `nimbus up`)', 'auto')
    .action(async (dir: string, opts: DevFlags) => {
      const isolation = ISOLATION_MODES.find((m) => m === opts.isolation);
      if (isolation === undefined) throw new NimbusError('BAD_REQUEST', `--isolation must be one of ${ISOLATION_MODES.join(', ')} (got "${opts.isolation}")`);
      // Loaded on demand: the server, esbuild and chokidar are only needed here.
      const { DevSession } = await import('../dev/session.js');
      const { formatRoute } = await import('../../manifest/index.js');
      const masterKey = readMasterKey();
      const session = new DevSession({
        dir: resolve(ctx.cwd, dir),
        dataDir: opts.dataDir === undefined ? undefined : resolve(ctx.cwd, opts.dataDir),
        node: {
          host: opts.host,
          port: opts.port,
          adminPort: opts.adminPort,
          isolation,
          ...(opts.poolSize === undefined ? {} : { poolSize: opts.poolSize }),
          ...(masterKey === undefined ? {} : { masterKey }),
        },
        out: (line) => printLine(line),
        err: (line) => process.stderr.write(`${line}\n`),
        color: colorWanted(process.stdout.isTTY),
        formatRoute,
      });
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
        stopping = true;
        process.stderr.write('stopping…\n');
        session.close().then(
          () => process.exit(0),
          (err: unknown) => {
            reportError(err, { json: false });
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      await session.start().catch((err: unknown) => {
        throw portInUse(err, opts) ?? err;
      });
      // As `nimbus up` does: `nimbus deploy`, `invoke`, `logs` in another terminal find this node.
      rememberNode(session.urls, session.dataDir);
    });
}

#!/usr/bin/env node
/**
 * The `nimbus` command. This entry point wires commands to a context built from the environment
 * and turns every failure into one printed NimbusError and exit status 1.
 */
import { readFileSync } from 'node:fs';
import { Command, type Option } from 'commander';
import { toNimbusError } from '../shared/errors.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerDeployCommand } from './commands/deploy.js';
import { registerEventCommand } from './commands/event.js';
import { registerEventCommands } from './commands/events.js';
import { registerFunctionCommands } from './commands/functions.js';
import { registerImportCommand } from './commands/import.js';
import { registerInitCommand } from './commands/init.js';
import { registerInvokeCommands } from './commands/invoke.js';
import { registerAuditCommand, registerKeyCommands } from './commands/keys.js';
import { registerAliasCommands } from './commands/aliases.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerScheduleCommands } from './commands/schedule.js';
import { registerMetricsCommand } from './commands/metrics.js';
import { registerSchemaCommand } from './commands/schema.js';
import { registerDevCommand } from './commands/dev.js';
import { registerSecretCommands } from './commands/secrets.js';
import { registerStorageCommands } from './commands/storage.js';
import { registerUpCommand } from './commands/up.js';
import { registerUsageCommand } from './commands/usage.js';
import { type CliContext, createContext, unauthorizedHint } from './context.js';
import { reportError } from './output.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function buildProgram(ctx: CliContext, state: { json: boolean }): Command {
  const program = new Command('nimbus')
    .description('Nimbus: a self-hosted serverless platform. Run `nimbus up`, then deploy apps to it.')
    .version(packageVersion())
    .option('--key <key>', 'the key to call the server with (default: NIMBUS_API_KEY, NIMBUS_KEY, ./.nimbus/admin.key, the key of the last `nimbus up`)')
    .option('--url <url>', 'the control API to call (default: NIMBUS_URL, the last `nimbus up` of this user, http://127.0.0.1:8081)')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      '\nEnvironment:\n' +
        '  NIMBUS_URL  control API address (default http://127.0.0.1:8081)\n' +
        '  NIMBUS_API_KEY  an API key with a scope (`nimbus keys create`); --key overrides it\n' +
        '  NIMBUS_KEY  admin key (default: ./.nimbus/admin.key, else the key of the node `nimbus up` last started)\n' +
        '  NIMBUS_CONFIG_DIR  where `nimbus up` records running nodes (default: $XDG_CONFIG_HOME/nimbus or ~/.config/nimbus)\n' +
        '  NIMBUS_MASTER_KEY  `nimbus up`: key that encrypts app secrets (default: <data-dir>/master.key)\n' +
        '\n<fn> is "name" inside an app directory (the app comes from ./nimbus.yaml) or "app/name" anywhere.',
    );
  // Errors must come out as JSON when the failing command was asked for JSON.
  program.hook('preAction', (root, action) => {
    state.json = action.opts()['json'] === true;
    const globals = root.opts<{ key?: string; url?: string }>();
    ctx.useKey(globals.key);
    ctx.useUrl(globals.url);
  });
  registerUpCommand(program, ctx);
  registerDevCommand(program, ctx);
  registerInitCommand(program, ctx);
  registerDeployCommand(program, ctx);
  registerImportCommand(program, ctx);
  registerFunctionCommands(program, ctx);
  registerInvokeCommands(program, ctx);
  registerEventCommands(program, ctx);
  registerEventCommand(program);
  registerScheduleCommands(program, ctx);
  registerLogsCommand(program, ctx);
  registerSchemaCommand(program);
  registerStorageCommands(program, ctx);
  registerSecretCommands(program, ctx);
  registerKeyCommands(program, ctx);
  registerAuditCommand(program, ctx);
  registerUsageCommand(program, ctx);
  registerAliasCommands(program, ctx);
  registerMetricsCommand(program, ctx);
  registerClusterCommands(program, ctx);
  return program;
}

/**
 * Commander reads the root's options anywhere on the line, so `nimbus alias set f live --version 3`
 * would print Nimbus's version. Once a command is named, `--version` is that command's option.
 */
function versionOnlyAtRoot(program: Command, args: string[]): void {
  const named = args.some((a) => program.commands.some((c) => c.name() === a || c.aliases().includes(a)));
  const options = program.options as Option[];
  const i = options.findIndex((o) => o.long === '--version');
  if (named && i !== -1) options.splice(i, 1);
}

async function main(argv: string[]): Promise<void> {
  // `nimbus deploy | head -2`: a reader that stops early is not an error of the command.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const ctx = createContext(process.cwd());
  const state = { json: false };
  try {
    const program = buildProgram(ctx, state);
    versionOnlyAtRoot(program, argv.slice(2));
    await program.parseAsync(argv);
  } catch (err) {
    const e = toNimbusError(err);
    const hint = e.code === 'UNAUTHORIZED' ? unauthorizedHint(ctx.config()) : undefined;
    reportError(e, { json: state.json, hint });
  }
}

await main(process.argv);

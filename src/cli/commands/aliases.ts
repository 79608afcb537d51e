/** `nimbus alias set|ls|rm`: names for versions of a function, with weighted traffic (issue 12). */
import { type Command, InvalidArgumentError } from 'commander';
import type { AliasRecord } from '../../client/alias-types.js';
import type { CliContext } from '../context.js';
import { formatTime, printJson, printLine, printTable } from '../output.js';
import { resolveFunction, type FunctionTarget } from '../target.js';
import { type JsonFlag, parseCount } from './options.js';

/** `4=10` or `4=10%` → version 4 gets 10 % of the alias's traffic. */
export function parseWeight(value: string): { version: number; weight: number } {
  const m = /^(\d+)=(\d+)%?$/.exec(value.trim());
  const version = Number(m?.[1]);
  const weight = Number(m?.[2]);
  if (!m || version < 1 || weight < 1 || weight > 99) throw new InvalidArgumentError('expected VERSION=PERCENT with a whole percentage from 1 to 99, e.g. 4=10');
  return { version, weight };
}

function parseVersion(value: string): number {
  const n = parseCount(value);
  if (n < 1) throw new InvalidArgumentError('expected a version number, e.g. 3');
  return n;
}

/** `--app shop cart`, `shop/cart`, or `cart` inside the app's directory. */
async function target(ref: string, app: string | undefined, cwd: string): Promise<FunctionTarget> {
  return app === undefined ? resolveFunction(ref, cwd) : { app, fn: ref };
}

export function describeAlias(a: Pick<AliasRecord, 'version' | 'weighted'>): string {
  if (!a.weighted) return `v${a.version}`;
  return `v${a.version} (${100 - a.weighted.weight}%), v${a.weighted.version} (${a.weighted.weight}%)`;
}

export function registerAliasCommands(program: Command, ctx: CliContext): void {
  const alias = program.command('alias').description('names for versions of a function: routes with `alias: <name>` serve them');
  const fnArg = '"name" inside an app directory, "app/name", or "name" with --app';

  alias
    .command('set')
    .description('point an alias at a version, optionally sending a share of its traffic to a second version')
    .argument('<fn>', fnArg)
    .argument('<alias>', 'the alias name, e.g. live')
    .requiredOption('--version <n>', 'the version the alias serves', parseVersion)
    .option('--weight <version=percent>', 'also send this share of the traffic to that version, e.g. 4=10', parseWeight)
    .option('--app <app>', 'the app of the function')
    .option('--json', 'print the API answer as JSON')
    .action(async (ref: string, name: string, opts: JsonFlag & { version: number; weight?: { version: number; weight: number }; app?: string }) => {
      const { app, fn } = await target(ref, opts.app, ctx.cwd);
      const a = await ctx.client().setAlias(app, fn, name, opts.version, opts.weight);
      if (opts.json) return printJson(a);
      printLine(`${app}/${fn}:${a.name} → ${describeAlias(a)}`);
    });

  alias
    .command('ls')
    .description("list a function's aliases")
    .argument('<fn>', fnArg)
    .option('--app <app>', 'the app of the function')
    .option('--json', 'print the API answer as JSON')
    .action(async (ref: string, opts: JsonFlag & { app?: string }) => {
      const { app, fn } = await target(ref, opts.app, ctx.cwd);
      const aliases = await ctx.client().listAliases(app, fn);
      if (opts.json) return printJson({ aliases });
      if (aliases.length === 0) return printLine(`${app}/${fn} has no aliases; create one with \`nimbus alias set ${app}/${fn} live --version N\``);
      printTable(
        ['ALIAS', 'VERSIONS', 'UPDATED'],
        aliases.map((a) => [a.name, describeAlias(a), formatTime(a.updatedAt)]),
      );
    });

  alias
    .command('rm')
    .description('delete an alias (routes naming it answer 404 ALIAS_NOT_FOUND until it is set again)')
    .argument('<fn>', fnArg)
    .argument('<alias>', 'the alias name')
    .option('--app <app>', 'the app of the function')
    .option('--json', 'print the API answer as JSON')
    .action(async (ref: string, name: string, opts: JsonFlag & { app?: string }) => {
      const { app, fn } = await target(ref, opts.app, ctx.cwd);
      const r = await ctx.client().deleteAlias(app, fn, name);
      if (opts.json) return printJson(r);
      printLine(`deleted alias ${app}/${fn}:${name}`);
    });
}

/** Inspecting and managing deployed functions: ls, info, versions, rollback, rm. */
import type { Command } from 'commander';
import type { FunctionView } from '../../client/types.js';
import { NimbusError } from '../../shared/errors.js';
import { triggerLabel } from '../../triggers/sources/kinds.js';
import type { CliContext } from '../context.js';
import { formatBytes, formatTime, printFields, printJson, printLine, printTable } from '../output.js';
import { resolveFunction } from '../target.js';
import { type JsonFlag, parseCount } from './options.js';

function versionLabel(f: FunctionView): string {
  return f.activeVersion === f.latestVersion ? `v${f.activeVersion}` : `v${f.activeVersion} (latest v${f.latestVersion})`;
}

function handlerLabel(f: FunctionView): string {
  const h = f.config.handler;
  return h.export === null ? h.file : `${h.file} → export ${h.export}`;
}

export function registerFunctionCommands(program: Command, ctx: CliContext): void {
  program
    .command('ls')
    .description('list deployed functions (of every app, or of one)')
    .option('--app <app>', 'only this app')
    .option('--json', 'print the API answer as JSON')
    .action(async (opts: JsonFlag & { app?: string }) => {
      const functions = await ctx.client().listFunctions(opts.app);
      if (opts.json) return printJson({ functions });
      if (functions.length === 0) return printLine('no functions deployed: deploy an app with `nimbus deploy <dir>`');
      printTable(
        ['APP', 'FUNCTION', 'VERSION', 'INSTANCES', 'TRIGGERS'],
        functions.map((f) => [f.app, f.name, versionLabel(f), `${f.instances.busy}/${f.instances.total} busy`, triggersLabel(f)]),
      );
    });

  program
    .command('info')
    .description('show a function: version, config, routes, instances')
    .argument('<fn>', '"name" inside an app directory, or "app/name"')
    .option('--json', 'print the API answer as JSON')
    .action(async (ref: string, opts: JsonFlag) => {
      const { app, fn } = await resolveFunction(ref, ctx.cwd);
      const f = await ctx.client().getFunction(app, fn);
      if (opts.json) return printJson(f);
      const c = f.config;
      // Secret variables by the secret they name (never a value).
      const envKeys = [...Object.keys(c.env), ...Object.entries(c.secrets ?? {}).map(([k, name]) => `${k} (secret ${name})`)];
      printFields([
        ['function', `${f.app}/${f.name}`],
        ['version', versionLabel(f)],
        ['handler', handlerLabel(f)],
        ['triggers', triggersLabel(f)],
        ['memory', `${c.memory} MB`],
        ['timeout', `${c.timeout} s`],
        ['concurrency', `${c.concurrency === null ? 'no limit but the node-wide one' : `at most ${c.concurrency} instances`}, ` + `${c.instanceConcurrency} request(s) per instance`],
        ['warm', `${c.minInstances} min instance(s), idle timeout ${c.idleTimeout} s`],
        ['instances', `${f.instances.total} (${f.instances.busy} busy, ${f.instances.idle} idle)`],
        ['code size', formatBytes(f.codeSize)],
        // Values may be secrets: show which variables are set, `--json` has the rest.
        ['env', envKeys.length === 0 ? '-' : envKeys.join(', ')],
        ['created', formatTime(f.createdAt)],
        ['updated', formatTime(f.updatedAt)],
      ]);
    });

  program
    .command('versions')
    .description("list a function's versions, oldest first")
    .argument('<fn>', '"name" inside an app directory, or "app/name"')
    .option('--json', 'print the API answer as JSON')
    .action(async (ref: string, opts: JsonFlag) => {
      const { app, fn } = await resolveFunction(ref, ctx.cwd);
      const versions = await ctx.client().listVersions(app, fn);
      if (opts.json) return printJson({ versions });
      printTable(
        ['VERSION', 'ACTIVE', 'CREATED', 'SIZE', 'HASH'],
        versions.map((v) => [`v${v.version}`, v.active ? '*' : '', formatTime(v.createdAt), formatBytes(v.codeSize), v.hash.slice(0, 12)]),
      );
    });

  program
    .command('rollback')
    .description('make an earlier version serve traffic (default: the one before the active version)')
    .argument('<fn>', '"name" inside an app directory, or "app/name"')
    .option('--to <version>', 'the version number to activate', parseCount)
    .option('--json', 'print the API answer as JSON')
    .action(async (ref: string, opts: JsonFlag & { to?: number }) => {
      const { app, fn } = await resolveFunction(ref, ctx.cwd);
      const f = await ctx.client().rollback(app, fn, opts.to);
      if (opts.json) return printJson(f);
      printLine(`${f.app}/${f.name} now serves ${versionLabel(f)}`);
    });

  program
    .command('rm')
    .description('delete a function with all its versions, or a whole app with --app')
    .argument('[fn]', '"name" inside an app directory, or "app/name"')
    .option('--app <app>', 'delete this app, all its functions, and the KV values and bucket objects it owns')
    .option('--json', 'print the API answer as JSON')
    .action(async (ref: string | undefined, opts: JsonFlag & { app?: string }) => {
      if ((ref === undefined) === (opts.app === undefined)) {
        throw new NimbusError('BAD_REQUEST', 'name either a function (`nimbus rm <fn>`) or an app (`nimbus rm --app <app>`)');
      }
      const client = ctx.client();
      if (opts.app !== undefined) {
        const r = await client.deleteApp(opts.app);
        return opts.json ? printJson(r) : printLine(`deleted app ${opts.app}`);
      }
      const { app, fn } = await resolveFunction(ref ?? '', ctx.cwd);
      const r = await client.deleteFunction(app, fn);
      return opts.json ? printJson(r) : printLine(`deleted function ${app}/${fn}`);
    });
}

/** Every trigger in one line: HTTP routes as declared, events as `kind:name`. */
function triggersLabel(f: FunctionView): string {
  // An older server may send no triggers list: routes alone then.
  // Each kind says how it is listed (src/triggers/sources/<kind>/kind.ts); routes are listed as routes.
  const events = (f.config?.triggers ?? []).flatMap((t) => triggerLabel(t) ?? []);
  return [...f.routes, ...events].join(', ') || '-';
}

/** `nimbus deploy`: validate, bundle and ship an app directory. */
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { DeployDirResult } from '../../client/deploy.js';
import type { HttpTrigger } from '../../domain/index.js';
import { formatIssue } from '../../import/report.js';
import type { CliContext } from '../context.js';
import { formatTable, printJson, printLine } from '../output.js';
import type { JsonFlag } from './options.js';
import { appNameIn } from '../target.js';
import { NimbusError } from '../../shared/errors.js';
import { canaryLines, canaryRequest, canaryStarted, parseDurationArg, parseRate, parseShare, type CanaryFlags } from './canary.js';
import { curlLine } from './curl.js';

export interface RouteEntry {
  fn: string;
  trigger: HttpTrigger;
}

/** Every HTTP route of a deployed spec, in manifest order. */
export function routesOf(result: DeployDirResult): RouteEntry[] {
  return Object.entries(result.spec.functions).flatMap(([fn, config]) => config.triggers.filter((t) => t.type === 'http').map((trigger) => ({ fn, trigger })));
}

/** The lines `nimbus deploy` and `nimbus up --deploy` print for one app. */
export function deploySummary(result: DeployDirResult, formatRoute: (t: HttpTrigger) => string): string[] {
  const lines = [`deployed app ${result.app}`];
  const { host, basePath } = result.spec.routes ?? {};
  const claims = [host === undefined ? '' : `host ${host}`, basePath === undefined ? '' : `base path ${basePath}`].filter(Boolean);
  if (claims.length > 0) lines.push(`  namespace: ${claims.join(', ')}`);
  const rows = result.functions.map((f) => [`  ${f.name}`, `v${f.version}`, f.created ? 'new' : 'unchanged']);
  if (rows.length > 0) lines.push(formatTable(['  FUNCTION', 'VERSION', 'CHANGE'], rows));
  if (result.removed.length > 0) lines.push(`  removed: ${result.removed.join(', ')}`);
  const routes = routesOf(result);
  if (routes.length > 0) {
    lines.push('  routes:');
    const width = Math.max(...routes.map((r) => formatRoute(r.trigger).length));
    const base = result.spec.routes?.basePath;
    for (const r of routes) {
      const shown = formatRoute({ ...r.trigger, path: base === undefined ? r.trigger.path : r.trigger.path === '/' ? base : base + r.trigger.path });
      lines.push(`    ${shown.padEnd(width + (base?.length ?? 0))}  → ${r.fn}`);
    }
  }
  return lines;
}

/** On stderr, so `--json` output stays parseable: what a serverless.yml / template.yaml had that does not map. */
export function printTemplateWarnings(result: Pick<DeployDirResult, 'template' | 'warnings'>): void {
  if (result.template === undefined) return;
  const name = basename(result.template);
  process.stderr.write(`deploying ${name} (\`nimbus import ${name}\` writes it as nimbus.yaml)\n`);
  for (const w of result.warnings ?? []) process.stderr.write(`warning: ${formatIssue(name, w)}\n`);
}

export function registerDeployCommand(program: Command, ctx: CliContext): void {
  program
    .command('deploy')
    .description('deploy the app in dir (its nimbus.yaml, else its serverless.yml or SAM template.yaml): unchanged functions keep their version')
    .argument('[dir]', 'the app directory', '.')
    .option('--stage <stage>', 'deploy the stage copy <app>-<stage>: its own versions, routes (under /<stage>, or on <stage>.<host>) and resources (prefixed <stage>-)')
    .option('--canary <percent>', "deploy as a canary: the changed functions' new versions get this share of their traffic, e.g. 10%", parseShare)
    .option('--for <duration>', 'with --canary: how long before the new versions are promoted, e.g. 30s, 5m, 1h', parseDurationArg)
    .option('--max-error-rate <percent>', "with --canary: roll back once the new versions' error rate exceeds the old ones' by more than this (default 2%)", parseRate)
    .option('--status', "show the app's canary deploy: progress, or how it ended")
    .option('--abort', "roll the app's running canary deploy back now")
    .option('--app <app>', 'with --status or --abort: the app (default: the one in dir)')
    .option('--json', 'print the API answer as JSON')
    .action(async (dir: string, opts: JsonFlag & CanaryFlags & { stage?: string; status?: boolean; abort?: boolean; app?: string }) => {
      if (opts.status || opts.abort) {
        const app = opts.app ?? (await appNameIn(resolve(ctx.cwd, dir)));
        if (app === undefined) throw new NimbusError('BAD_REQUEST', `name the app with --app, or run this in an app directory (no nimbus.yaml in ${resolve(ctx.cwd, dir)})`);
        if (opts.abort) await ctx.client().abortCanary(app);
        const c = await ctx.client().canaryStatus(app);
        if (opts.json) return printJson(c);
        for (const line of canaryLines(c)) printLine(line);
        return;
      }
      const canary = canaryRequest(opts);
      // Loaded on demand: esbuild and the manifest schema are only needed by deploys.
      const { deployDir } = await import('../../client/deploy.js');
      const { formatRoute } = await import('../../manifest/index.js');
      const { readTemplateEnv } = await import('../config.js');
      const result = await deployDir(ctx.client(), resolve(ctx.cwd, dir), { ...(opts.stage === undefined ? {} : { stage: opts.stage }), ...(canary ? { canary } : {}), env: readTemplateEnv() });
      printTemplateWarnings(result);
      if (opts.json) {
        const { spec: _spec, ...answer } = result;
        return printJson(answer);
      }
      for (const line of deploySummary(result, formatRoute)) printLine(line);
      if (result.canary) printLine(`  ${canaryStarted(result.canary)}`);
      else if (canary) printLine('  canary: no function changed, so there is nothing to shift');
      const gateway = ctx.config().gatewayUrl;
      const first = routesOf(result)[0];
      // A host-claimed app answers only on its host, which a bare curl line would not send.
      if (gateway !== undefined && first !== undefined && result.spec.routes?.host === undefined) {
        const base = result.spec.routes?.basePath ?? '';
        printLine();
        printLine('try it:');
        printLine(`  ${curlLine(gateway, { ...first.trigger, path: base + (first.trigger.path === '/' && base !== '' ? '' : first.trigger.path) })}`);
      }
    });
}

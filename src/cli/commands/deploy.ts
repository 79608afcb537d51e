/** `nimbus deploy`: validate, bundle and ship an app directory. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { DeployDirResult } from '../../client/deploy.js';
import type { HttpTrigger } from '../../domain/index.js';
import type { CliContext } from '../context.js';
import { formatTable, printJson, printLine } from '../output.js';
import type { JsonFlag } from './options.js';
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

export function registerDeployCommand(program: Command, ctx: CliContext): void {
  program
    .command('deploy')
    .description('deploy the app in dir (its nimbus.yaml): unchanged functions keep their version')
    .argument('[dir]', 'the app directory', '.')
    .option('--stage <stage>', 'deploy the stage copy <app>-<stage>: its own versions, routes (under /<stage>, or on <stage>.<host>) and resources (prefixed <stage>-)')
    .option('--json', 'print the API answer as JSON')
    .action(async (dir: string, opts: JsonFlag & { stage?: string }) => {
      // Loaded on demand: esbuild and the manifest schema are only needed by deploys.
      const { deployDir } = await import('../../client/deploy.js');
      const { formatRoute } = await import('../../manifest/index.js');
      const result = await deployDir(ctx.client(), resolve(ctx.cwd, dir), opts.stage === undefined ? {} : { stage: opts.stage });
      if (opts.json) {
        const { spec: _spec, ...answer } = result;
        return printJson(answer);
      }
      for (const line of deploySummary(result, formatRoute)) printLine(line);
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

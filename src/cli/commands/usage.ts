/** `nimbus usage`: invocations, GB-seconds and cost per function (GET /v1/usage). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { formatTime, printJson, printLine, printTable } from '../output.js';
import type { JsonFlag } from './options.js';

/**
 * Cost in dollars with enough digits for the micro-dollars of a few requests, never in exponent
 * notation ($0.000000625, not $6.25e-7): three significant digits below one dollar.
 */
export function formatUsd(usd: number): string {
  if (usd >= 1 || usd <= 0) return `$${usd.toFixed(2)}`;
  const decimals = Math.min(12, Math.max(2, 2 - Math.floor(Math.log10(usd))));
  return `$${usd.toFixed(decimals)}`;
}

export function registerUsageCommand(program: Command, ctx: CliContext): void {
  program
    .command('usage')
    .description('invocations, GB-seconds (memory × billed duration) and cost per function, from the price sheet of `nimbus up`')
    .option('--app <app>', 'only this app')
    .option('--function <name>', 'only this function (its name within --app)')
    .option('--since <when>', 'a duration back from now (1h, 24h, 7d), an ISO 8601 time or epoch ms', '24h')
    .option('--json', 'print the API answer as JSON')
    .action(async (opts: JsonFlag & { app?: string; function?: string; since: string }) => {
      const u = await ctx.client().usage({ app: opts.app, function: opts.function, since: opts.since });
      if (opts.json) return printJson(u);
      printLine(`usage from ${formatTime(u.from)} to ${formatTime(u.to)}`);
      const row = (name: string, l: { invocations: number; gbSeconds: number; cost: number }): string[] => [name, String(l.invocations), l.gbSeconds.toFixed(3), formatUsd(l.cost)];
      printTable(['FUNCTION', 'INVOCATIONS', 'GB-SECONDS', 'COST'], [...u.functions.map((f) => row(`${f.app}/${f.function}`, f)), row('total', u.total)]);
    });
}

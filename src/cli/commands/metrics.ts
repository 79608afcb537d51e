/** `nimbus metrics <fn>`: the metrics a function printed in CloudWatch Embedded Metric Format (GET …/functions/{fn}/metrics). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { escapeControl } from '../escape.js';
import { formatTime, printJson, printLine, printTable } from '../output.js';
import { resolveFunction } from '../target.js';
import { type JsonFlag, parseCount } from './options.js';

interface MetricsOptions extends JsonFlag {
  name?: string;
  since: string;
  limit?: number;
}

/** A metric value without float noise (0.30000000000000004). */
function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

export function registerMetricsCommand(program: Command, ctx: CliContext): void {
  program
    .command('metrics')
    .description('metrics a function printed in CloudWatch Embedded Metric Format (e.g. Powertools Metrics): a summary per metric, or the latest values of one')
    .argument('<fn>', '"name" inside an app directory, or "app/name"')
    .option('--name <metric>', 'only this metric, with its latest values')
    .option('--since <when>', 'a duration back from now (1h, 24h, 7d), an ISO 8601 time or epoch ms', '1h')
    .option('-n, --limit <n>', 'values listed with --name (default 100, max 1000)', parseCount)
    .option('--json', 'print the API answer as JSON')
    .action(async (ref: string, opts: MetricsOptions) => {
      const { app, fn } = await resolveFunction(ref, ctx.cwd);
      const answer = await ctx.client().functionMetrics(app, fn, { name: opts.name, since: opts.since, limit: opts.limit });
      if (opts.json) return printJson(answer);
      if (answer.metrics.length === 0) {
        printLine(`no metrics from ${app}/${fn} since ${formatTime(answer.since)} (print EMF lines, e.g. with @aws-lambda-powertools/metrics)`);
        return;
      }
      const e = escapeControl;
      printTable(
        ['NAMESPACE', 'METRIC', 'UNIT', 'COUNT', 'SUM', 'MIN', 'MAX', 'LAST', 'AT'],
        answer.metrics.map((m) => [e(m.namespace), e(m.name), e(m.unit), String(m.count), num(m.sum), num(m.min), num(m.max), num(m.last), formatTime(m.lastAt)]),
      );
      if (answer.points && answer.points.length > 0) {
        printLine('');
        printTable(
          ['TIME', 'VALUE', 'DIMENSIONS', 'VERSION', 'INVOCATION'],
          answer.points.map((p) => [
            formatTime(p.ts),
            num(p.value),
            e(
              Object.entries(p.dimensions)
                .map(([k, v]) => `${k}=${v}`)
                .join(','),
            ) || '-',
            String(p.version),
            p.invocationId ?? '-',
          ]),
        );
      }
    });
}

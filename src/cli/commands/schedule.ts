/** `nimbus run-schedule <fn>`: fire a function's schedule trigger now instead of waiting for its slot. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { printJson, printLine } from '../output.js';
import { resolveFunction } from '../target.js';
import type { JsonFlag } from './options.js';

export function registerScheduleCommands(program: Command, ctx: CliContext): void {
  program
    .command('run-schedule')
    .description("fire the function's schedule trigger now (one `scheduled` event, delivered with retries like a timed one) and print the event id")
    .argument('<fn>', '"name" inside an app directory, or "app/name"')
    .option('--schedule <expr>', 'which schedule, when the function has several (the expression as in nimbus.yaml)')
    .option('--json', 'print {eventId, schedule}')
    .action(async (ref: string, opts: JsonFlag & { schedule?: string }) => {
      const { app, fn } = await resolveFunction(ref, ctx.cwd);
      const fired = await ctx.client().runSchedule(app, fn, opts.schedule);
      if (opts.json) return printJson(fired);
      printLine(fired.eventId);
      process.stderr.write(`queued: ${app}/${fn} "${fired.schedule}" fires now; see \`nimbus logs ${app}/${fn}\`\n`);
    });
}

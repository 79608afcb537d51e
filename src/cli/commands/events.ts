/** The dead-letter queue from the command line: `nimbus dlq ls <fn>`, `nimbus dlq redrive <fn> [--id ID]`. */
import type { Command } from 'commander';
import type { DeadEventView } from '../../client/types.js';
import type { CliContext } from '../context.js';
import { formatTime, printJson, printLine, printTable } from '../output.js';
import { resolveFunction } from '../target.js';
import { type JsonFlag, parseCount } from './options.js';

/** One line of a table cell: long payloads and reasons are cut, `--json` has them whole. */
function cell(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function printDead(events: DeadEventView[]): void {
  printTable(
    ['ID', 'DEAD SINCE', 'SOURCE', 'ATTEMPTS', 'REASON', 'PAYLOAD'],
    events.map((e) => [
      e.id,
      formatTime(e.deadAt),
      e.origin === '' ? e.source : `${e.source} ${e.origin}`,
      `${e.attempts}/${e.maxAttempts}`,
      cell(e.reason),
      cell(JSON.stringify(e.payload) ?? 'null', 40),
    ]),
  );
}

export function registerEventCommands(program: Command, ctx: CliContext): void {
  const dlq = program.command('dlq').description("a function's dead-letter queue: async events whose retries ran out or that grew too old");

  dlq
    .command('ls')
    .description('list dead-lettered events, most recent first')
    .argument('<fn>', '"name" inside an app directory, or "app/name"')
    .option('--limit <n>', 'at most this many (default 100, max 1000)', parseCount)
    .option('--json', 'print the API answer as JSON')
    .action(async (ref: string, opts: JsonFlag & { limit?: number }) => {
      const { app, fn } = await resolveFunction(ref, ctx.cwd);
      const events = await ctx.client().listDead(app, fn, { limit: opts.limit });
      if (opts.json) return printJson({ events });
      if (events.length === 0) return printLine(`no dead-lettered events for ${app}/${fn}`);
      printDead(events);
    });

  dlq
    .command('redrive')
    .description('queue dead-lettered events again (attempts reset, a fresh maxEventAge): all, or one with --id')
    .argument('<fn>', '"name" inside an app directory, or "app/name"')
    .option('--id <id>', 'only this event (an id from `nimbus dlq ls`)')
    .option('--json', 'print the API answer as JSON')
    .action(async (ref: string, opts: JsonFlag & { id?: string }) => {
      const { app, fn } = await resolveFunction(ref, ctx.cwd);
      const r = await ctx.client().redrive(app, fn, opts.id);
      if (opts.json) return printJson(r);
      printLine(`queued ${r.redriven} event${r.redriven === 1 ? '' : 's'} of ${app}/${fn} again`);
    });
}

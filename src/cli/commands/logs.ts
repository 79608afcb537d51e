/** `nimbus logs`: the last lines of a function's output, and optionally the lines that follow. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { NimbusClient } from '../../client/client.js';
import type { LogLineView, LogsPage } from '../../client/types.js';
import type { CliContext } from '../context.js';
import { escapeControl } from '../escape.js';
import { printJson, printLine } from '../output.js';
import { resolveFunction } from '../target.js';
import { type JsonFlag, parseCount } from './options.js';

const PAGE = 1000;
const POLL_MS = 500;

interface LogsOptions extends JsonFlag {
  follow?: boolean;
  raw?: boolean;
  invocation?: string;
  limit: number;
}

/** A function's text is escaped (see escape.ts) unless `raw`. */
export function formatLogLine(l: LogLineView, raw = false): string {
  const stream = l.stream === 'stdout' ? '' : `[${l.stream}] `;
  return `${new Date(l.ts).toISOString()}  ${l.invocationId ?? '-'}  ${stream}${raw ? l.line : escapeControl(l.line)}`;
}

/** Whether lines follow this page (an older server without `more` answered full pages only). */
function hasMore(page: LogsPage, after: number | undefined): boolean {
  return page.next !== after && (page.more ?? page.lines.length >= PAGE);
}

/**
 * The API pages oldest first (≤ 1,000 lines or ~1 MB a page), so the newest `limit` lines are the
 * tail of a walk over all pages. Retention keeps that walk bounded.
 */
async function tail(client: NimbusClient, app: string, fn: string, invocation: string | undefined, limit: number): Promise<LogsPage> {
  let after: number | undefined;
  let kept: LogLineView[] = [];
  for (;;) {
    const page = await client.logs(app, fn, { invocation, after, limit: PAGE });
    kept = kept.concat(page.lines).slice(-limit);
    if (!hasMore(page, after)) return { lines: limit === 0 ? [] : kept, next: page.next, more: false };
    after = page.next;
  }
}

export function registerLogsCommand(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description("print a function's latest log lines, oldest first")
    .argument('<fn>', '"name" inside an app directory, or "app/name"')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--invocation <id>', 'only the lines of this invocation')
    .option('-n, --limit <n>', 'how many of the latest lines to print first', parseCount, 100)
    .option('--json', 'print {lines, next, more}; with --follow one JSON line per log line')
    .option('--raw', "print the function's text as is, control characters included (by default they are shown escaped, e.g. \\x1b)")
    .action(async (ref: string, opts: LogsOptions) => {
      const { app, fn } = await resolveFunction(ref, ctx.cwd);
      const client = ctx.client();
      const first = await tail(client, app, fn, opts.invocation, opts.limit);
      const emit = (lines: LogLineView[]): void => {
        for (const l of lines) printLine(opts.json ? JSON.stringify(l) : formatLogLine(l, opts.raw));
      };
      if (!opts.follow) return opts.json ? printJson(first) : emit(first.lines);
      emit(first.lines);

      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        let after = first.next;
        let more = false;
        while (!stop.signal.aborted) {
          // Caught up: wait for new lines. Behind (a full page came back): fetch the next at once.
          if (!more) await sleep(POLL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
          if (stop.signal.aborted) break;
          const page = await client.logs(app, fn, { invocation: opts.invocation, after, limit: PAGE });
          emit(page.lines);
          more = hasMore(page, after);
          after = page.next;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

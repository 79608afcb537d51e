/** Running a function from the command line and reading invocation records. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NimbusClient } from '../../client/client.js';
import type { InvocationRecord, LogLineView } from '../../client/types.js';
import { NimbusError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import { formatTime, printFields, printJson } from '../output.js';
import { resolveFunction } from '../target.js';
import { formatLogLine } from './logs.js';
import type { JsonFlag } from './options.js';

/** The lines `--log` prints at most: the end of the invocation's log, as Lambda's 4 KB `--log-type Tail`. */
export const LOG_TAIL_LINES = 100;
const LOG_WAIT_MS = 5000;

/**
 * The log of one invocation, once its REPORT line is stored (lines are committed in batches,
 * shortly after the answer); after LOG_WAIT_MS, whatever is there.
 */
export async function invocationLog(client: NimbusClient, app: string, fn: string, id: string, waitMs = LOG_WAIT_MS): Promise<LogLineView[]> {
  const until = Date.now() + waitMs;
  for (;;) {
    const { lines } = await client.logs(app, fn, { invocation: id, limit: 1000 });
    const done = lines.some((l) => l.stream === 'system' && l.line.startsWith('REPORT'));
    if (done || Date.now() >= until) return lines.slice(-LOG_TAIL_LINES);
    await sleep(100);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `--data '{"a":1}'`, `--data @event.json` or `--data @-` (stdin). */
async function readEvent(data: string | undefined, cwd: string): Promise<unknown> {
  if (data === undefined) return {};
  let text = data;
  let source = '--data';
  if (data === '@-') {
    text = await readStdin();
    source = 'stdin';
  } else if (data.startsWith('@')) {
    source = data.slice(1);
    try {
      text = await readFile(resolve(cwd, source), 'utf8');
    } catch (err) {
      throw new NimbusError('BAD_REQUEST', `cannot read ${source}: ${(err as Error).message}`, { cause: err });
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new NimbusError('BAD_REQUEST', `${source} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

function printRecord(r: InvocationRecord): void {
  const status = r.httpStatus === null ? r.status : `${r.status} (HTTP ${r.httpStatus})`;
  const fields: Array<[string, string]> = [
    ['id', r.id],
    ['function', `${r.app}/${r.function} v${r.version}`],
    ['trigger', r.trigger],
    ['status', status],
    ['started', formatTime(r.startedAt)],
    ['duration', `${r.durationMs} ms (billed ${r.billedMs} ms)`],
    ['memory', r.maxMemoryMb === null ? `${r.memoryMb} MB` : `${r.maxMemoryMb} MB peak of ${r.memoryMb} MB`],
    ['cold start', r.coldStart ? `yes${r.initMs === null ? '' : ` (init ${r.initMs} ms)`}` : 'no'],
  ];
  if (r.errorCode !== null) fields.push(['error', `${r.errorCode}: ${r.errorMessage ?? ''}`]);
  printFields(fields);
}

export function registerInvokeCommands(program: Command, ctx: CliContext): void {
  program
    .command('invoke')
    .description('run a function once and print what it answered (exit 1 if it failed); with --async, queue the event and print its invocation id')
    .argument('<fn>', '"name" inside an app directory, or "app/name"')
    .option('-d, --data <json>', 'the event: JSON text, @file, or @- for stdin (default {})')
    .option('--async', 'queue the event (durable when this returns) and print the invocation id; the function runs later, with retries')
    .option('--idempotency-key <key>', 'with --async: the same key within 24 h is not queued again (the first id is printed)')
    .option('--log', `after the result, print the invocation's log (its last ${LOG_TAIL_LINES} lines, REPORT included) on stderr, as \`aws lambda invoke --log-type Tail\``)
    .option('--json', 'print {invocationId, status, headers, body} (+ log with --log; {invocationId, duplicate} with --async)')
    .action(async (ref: string, opts: JsonFlag & { data?: string; async?: boolean; idempotencyKey?: string; log?: boolean }) => {
      const { app, fn } = await resolveFunction(ref, ctx.cwd);
      if (opts.idempotencyKey !== undefined && !opts.async) throw new NimbusError('BAD_REQUEST', '--idempotency-key applies to async invokes: add --async');
      if (opts.log && opts.async) throw new NimbusError('BAD_REQUEST', '--log applies to sync invokes (an async one has not run yet): use `nimbus logs <fn> --invocation <id>` later');
      const event = await readEvent(opts.data, ctx.cwd);
      if (opts.async) {
        const queued = await ctx.client().invokeAsync(app, fn, event, opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey });
        if (opts.json) return printJson(queued);
        process.stdout.write(`${queued.invocationId}\n`);
        if (queued.duplicate) process.stderr.write('already queued with this idempotency key: this is the first invocation id\n');
        return;
      }
      const client = ctx.client();
      const r = await client.invoke(app, fn, event);
      const failed = r.status < 200 || r.status >= 300;
      if (failed) process.exitCode = 1;
      // No id: the call never reached a function (e.g. not found), so there is no log to show.
      const log = opts.log && r.invocationId !== '' ? await invocationLog(client, app, fn, r.invocationId) : undefined;
      if (opts.json) {
        return printJson({ invocationId: r.invocationId, status: r.status, headers: r.headers, body: r.body, ...(log ? { log } : {}) });
      }
      if (r.error !== null) {
        process.stderr.write(`error [${r.error.code}]: ${r.error.message}\n  invocation: ${r.invocationId}\n`);
      } else {
        process.stdout.write(r.body.endsWith('\n') || r.body === '' ? r.body : `${r.body}\n`);
        if (failed) process.stderr.write(`the function answered HTTP ${r.status} (invocation ${r.invocationId})\n`);
      }
      if (log !== undefined) {
        process.stderr.write(`--- log of ${r.invocationId} ---\n`);
        for (const l of log) process.stderr.write(`${formatLogLine(l)}\n`);
      }
    });

  program
    .command('invocation')
    .description('show the record of one invocation')
    .argument('<id>', 'the invocation id (X-Nimbus-Invocation-Id)')
    .option('--json', 'print the record as JSON')
    .action(async (id: string, opts: JsonFlag) => {
      const record = await ctx.client().getInvocation(id);
      if (opts.json) return printJson(record);
      printRecord(record);
    });
}

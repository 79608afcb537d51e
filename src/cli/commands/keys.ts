/**
 * API keys and the audit trail from the command line: `nimbus keys create|ls|revoke`, `nimbus audit`.
 * A new key is printed once, by `keys create`; nothing can show it again.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { AuditEntryView, KeyView } from '../../client/keys-types.js';
import { SCOPES, type Scope } from '../../domain/index.js';
import type { CliContext } from '../context.js';
import { formatTime, printJson, printLine, printTable } from '../output.js';
import { collect, type JsonFlag, parseCount } from './options.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30d`, `12h`, `90m`, `2w` → milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+)\s*([mhdw])$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 90m, 12h, 30d or 2w');
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
}

/** `--since`: a duration back from now (`1h`) or an ISO 8601 time. */
export function parseSince(value: string, now = Date.now()): number {
  if (/^\d+\s*[mhdw]$/i.test(value.trim())) return now - parseDuration(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('expected a duration back from now (1h, 7d) or an ISO 8601 time');
  return t;
}

function parseScope(value: string): Scope {
  if (!(SCOPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${SCOPES.join(', ')}`);
  return value as Scope;
}

const when = (t: number | null): string => (t === null ? '-' : formatTime(t));

function printKeys(keys: KeyView[]): void {
  printTable(
    ['ID', 'NAME', 'PREFIX', 'SCOPE', 'APPS', 'CREATED', 'EXPIRES', 'LAST USED', 'STATE'],
    keys.map((k) => [
      k.id,
      k.name,
      k.prefix,
      k.scope,
      k.apps.length === 0 ? '*' : k.apps.join(','),
      formatTime(k.createdAt),
      when(k.expiresAt),
      when(k.lastUsedAt),
      k.revokedAt !== null ? 'revoked' : k.expiresAt !== null && k.expiresAt <= Date.now() ? 'expired' : 'live',
    ]),
  );
}

function printAudit(entries: AuditEntryView[]): void {
  printTable(
    ['TIME', 'KEY', 'ACTION', 'APP', 'TARGET', 'OUTCOME'],
    entries.map((e) => [formatTime(e.ts), e.keyName, e.action, e.app ?? '-', e.target ?? '-', e.outcome]),
  );
}

export function registerKeyCommands(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('API keys with a scope (admin, deploy, invoke, read), optionally limited to apps; needs an admin key');

  keys
    .command('create')
    .description('create a key and print it: it is shown this once and cannot be retrieved later')
    .requiredOption('--name <name>', 'a name for listings and the audit trail (lowercase letters, digits, "-")')
    .requiredOption('--scope <scope>', `one of ${SCOPES.join(', ')}`, parseScope)
    .option('--app <app>', 'limit the key to this app (repeatable); default every app', collect, [])
    .option('--expires <duration>', 'expire after this long, e.g. 30d, 12h (default never)', parseDuration)
    .option('--aws', 'also issue AWS credentials (access key id + secret access key) for the AWS SDK (the Lambda Invoke API)')
    .option('--json', 'print the API answer as JSON')
    .action(async (opts: JsonFlag & { name: string; scope: Scope; app: string[]; expires?: number; aws?: boolean }) => {
      const expiresAt = opts.expires === undefined ? null : Date.now() + opts.expires;
      const created = await ctx.client().createKey({ name: opts.name, scope: opts.scope, apps: opts.app, expiresAt, aws: opts.aws === true });
      if (opts.json) return printJson(created);
      if (created.aws) {
        // Lines a shell can `export`: what the AWS SDKs and CLI read from the environment.
        printLine(`AWS_ACCESS_KEY_ID=${created.aws.accessKeyId}`);
        printLine(`AWS_SECRET_ACCESS_KEY=${created.aws.secretAccessKey}`);
        printLine(`NIMBUS_API_KEY=${created.key}`);
      } else printLine(created.key);
      const apps = created.info.apps.length === 0 ? 'every app' : created.info.apps.join(', ');
      process.stderr.write(
        `key ${created.info.id} (${created.info.prefix}): scope ${created.info.scope} on ${apps}, expires ${when(created.info.expiresAt)}\n` +
          'store it now: it is not shown again. Use it with NIMBUS_API_KEY=<key> or --key <key>.\n',
      );
    });

  keys
    .command('ls')
    .description('list keys (never the keys themselves), revoked and expired ones too')
    .option('--json', 'print the API answer as JSON')
    .action(async (opts: JsonFlag) => {
      const list = await ctx.client().listKeys();
      if (opts.json) return printJson({ keys: list });
      if (list.length === 0) return printLine('no API keys (the admin key of admin.key is not listed)');
      printKeys(list);
    });

  keys
    .command('revoke')
    .description('revoke a key: it is refused (401) from the next call on')
    .argument('<key>', 'its id or name')
    .option('--json', 'print the API answer as JSON')
    .action(async (idOrName: string, opts: JsonFlag) => {
      const revoked = await ctx.client().revokeKey(idOrName);
      if (opts.json) return printJson({ revoked });
      printLine(`revoked ${revoked.id} (${revoked.prefix})`);
    });
}

export function registerAuditCommand(program: Command, ctx: CliContext): void {
  program
    .command('audit')
    .description('the audit trail of state-changing calls, newest first: who (key), what, which app, ok or the error')
    .option('--app <app>', 'only this app')
    .option('--since <when>', 'a duration back from now (1h, 7d) or an ISO 8601 time', (v) => parseSince(v))
    .option('--limit <n>', 'at most this many (default 100, max 1000)', parseCount)
    .option('--json', 'print the API answer as JSON')
    .action(async (opts: JsonFlag & { app?: string; since?: number; limit?: number }) => {
      const entries = await ctx.client().audit({ app: opts.app, since: opts.since, limit: opts.limit });
      if (opts.json) return printJson({ entries });
      if (entries.length === 0) return printLine('no audit entries');
      printAudit(entries);
    });
}

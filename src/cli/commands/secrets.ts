/**
 * `nimbus secret set|ls|rm|rotate-master`: app secrets, encrypted at rest on the node. A value is
 * read from stdin (one trailing newline dropped, as `echo` adds it) or, exactly, from a file; it
 * is never taken as an argument, where it would land in shell history and `ps`.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { NimbusError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import { formatTable, formatTime, printJson, printLine } from '../output.js';
import type { JsonFlag } from './options.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('enter the value, then Ctrl-D:\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function registerSecretCommands(program: Command, ctx: CliContext): void {
  const secret = program.command('secret').description("manage an app's secrets (encrypted at rest; functions read them with env: { X: { secret: <name> } })");

  secret
    .command('set')
    .description('create or replace a secret; the value comes from stdin or --from-file, never the command line')
    .argument('<app>', 'app name (need not be deployed yet)')
    .argument('<name>', 'secret name, e.g. db-password')
    .option('--from-file <path>', 'read the value from this file, exactly (no newline dropped)')
    .option('--json', 'print {name, updatedAt, created}')
    .addHelpText('after', '\nExamples:\n  printf \'%s\' "$PW" | nimbus secret set shop db-password\n  nimbus secret set shop tls-key --from-file key.pem')
    .action(async (app: string, name: string, opts: JsonFlag & { fromFile?: string }) => {
      const value = opts.fromFile !== undefined ? await readFile(opts.fromFile, 'utf8') : await readStdin();
      if (value === '') throw new NimbusError('BAD_REQUEST', 'the secret value is empty: pipe it on stdin or pass --from-file <path>');
      const out = await ctx.client().setSecret(app, name, value);
      if (opts.json) return printJson(out);
      printLine(`${out.created ? 'created' : 'updated'} secret ${name} of ${app}`);
    });

  secret
    .command('ls')
    .description("list an app's secrets: names and update times, never values")
    .argument('<app>', 'app name')
    .option('--json', 'print {secrets: [{name, updatedAt}]}')
    .action(async (app: string, opts: JsonFlag) => {
      const secrets = await ctx.client().listSecrets(app);
      if (opts.json) return printJson({ secrets });
      if (secrets.length === 0) return printLine(`app ${app} has no secrets: nimbus secret set ${app} <name>`);
      printLine(
        formatTable(
          ['NAME', 'UPDATED'],
          secrets.map((s) => [s.name, formatTime(s.updatedAt)]),
        ),
      );
    });

  secret
    .command('rm')
    .description('remove a secret (refused while a deployed function names it)')
    .argument('<app>', 'app name')
    .argument('<name>', 'secret name')
    .option('--json', 'print {deleted}')
    .action(async (app: string, name: string, opts: JsonFlag) => {
      const out = await ctx.client().deleteSecret(app, name);
      if (opts.json) return printJson(out);
      printLine(`removed secret ${name} of ${app}`);
    });

  secret
    .command('rotate-master')
    .description('re-encrypt every secret under a new master key, in one transaction')
    .option('--new-key-file <path>', 'the new key (32 bytes, base64 or hex); required when the node uses NIMBUS_MASTER_KEY')
    .option('--json', 'print {rotated, keySource}')
    .addHelpText(
      'after',
      '\nWith <data-dir>/master.key the node makes the new key and replaces the file.\n' +
        'With NIMBUS_MASTER_KEY: openssl rand -base64 32 > new.key; nimbus secret rotate-master --new-key-file new.key;\n' +
        'then set NIMBUS_MASTER_KEY=$(cat new.key) for the next start.',
    )
    .action(async (opts: JsonFlag & { newKeyFile?: string }) => {
      const newKey = opts.newKeyFile === undefined ? undefined : (await readFile(opts.newKeyFile, 'utf8')).trim();
      const out = await ctx.client().rotateMasterKey(newKey);
      if (opts.json) return printJson(out);
      const next =
        out.keySource === 'option'
          ? ': set NIMBUS_MASTER_KEY to the new key before the next start (in a cluster, restart the other nodes with it now: until then they cannot write secrets)'
          : ' (master.key replaced)';
      printLine(`re-encrypted ${out.rotated} secret(s) under the new master key${next}`);
    });
}

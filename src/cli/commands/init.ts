/** `nimbus init`: a starter app that deploys as it is. */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { NimbusError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import { printLine } from '../output.js';
import { MANIFEST_FILE, appNameIn } from '../target.js';
import { API_TS, GITIGNORE, HELLO_TS, manifestTemplate } from './init-template.js';

/** The directory's name made into a valid app name (lower-case letters, digits, "-"). */
export function appNameFor(dir: string): string {
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 63);
  return name === '' ? 'my-app' : name;
}

async function writeNew(file: string, text: string): Promise<boolean> {
  try {
    await writeFile(file, text, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export function registerInitCommand(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('write a starter app (nimbus.yaml, src/hello.ts, src/api.ts) into dir')
    .argument('[dir]', 'where to create the app', '.')
    .action(async (dirArg: string) => {
      const dir = resolve(ctx.cwd, dirArg);
      const app = appNameFor(dir);
      // A nimbus.yml (or an unreadable manifest) means an app lives here already.
      const hasManifest = await appNameIn(dir).then(
        (name) => name !== undefined,
        () => true,
      );
      if (hasManifest) {
        throw new NimbusError('BAD_REQUEST', `${dir} already has a nimbus.yaml: init only creates new apps (edit it, or pick another directory)`);
      }
      await mkdir(join(dir, 'src'), { recursive: true });
      // `wx` refuses atomically: never clobber an app (or a source file) that is already there.
      if (!(await writeNew(join(dir, MANIFEST_FILE), manifestTemplate(app)))) {
        throw new NimbusError('BAD_REQUEST', `${join(dir, MANIFEST_FILE)} already exists: init only creates new apps`);
      }
      const written = [MANIFEST_FILE];
      const skipped: string[] = [];
      for (const [file, text] of [
        ['src/hello.ts', HELLO_TS],
        ['src/api.ts', API_TS],
        ['.gitignore', GITIGNORE],
      ] as const) {
        ((await writeNew(join(dir, file), text)) ? written : skipped).push(file);
      }

      const shown = relative(ctx.cwd, dir) || '.';
      printLine(`created app "${app}" in ${shown}: ${written.join(', ')}`);
      if (skipped.length > 0) printLine(`kept the existing ${skipped.join(', ')}`);
      printLine('');
      printLine('next, with a node running (`npm start` in the Nimbus repo, or `nimbus up` in another terminal):');
      if (shown !== '.') printLine(`  cd ${shown}`);
      printLine('  nimbus deploy                        # bundle + deploy; prints a curl line to try it');
      printLine(`  curl http://127.0.0.1:8080/${app}/hello/world`);
      printLine(`  nimbus invoke api --data '{"a": 1}' --log`);
      printLine('  nimbus logs hello');
      printLine(`or start a node with only this app: nimbus up --deploy ${shown}`);
    });
}

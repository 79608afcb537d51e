/** `nimbus import <file>`: write the nimbus.yaml a serverless.yml or SAM template.yaml means. */
import { writeFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { NimbusError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import { printLine } from '../output.js';

export function registerImportCommand(program: Command, ctx: CliContext): void {
  program
    .command('import')
    .description('convert a serverless.yml or SAM template.yaml into nimbus.yaml (what does not map is listed as warnings and in its header)')
    .argument('<file>', 'the serverless.yml, serverless.yaml, template.yaml or template.yml')
    .option('--out <file>', 'where to write the manifest ("-" for stdout); default nimbus.yaml beside the template')
    .option('--stage <stage>', 'what ${opt:stage} and ${sls:stage} of a serverless.yml resolve to')
    .option('--force', 'overwrite an existing output file')
    .action(async (file: string, opts: { out?: string; stage?: string; force?: boolean }) => {
      const { importTemplate, manifestYaml, formatIssue } = await import('../../import/index.js');
      const { loadManifestText } = await import('../../manifest/index.js');
      const { readTemplateEnv } = await import('../config.js');
      const path = resolve(ctx.cwd, file);
      const result = await importTemplate(path, { env: readTemplateEnv(), ...(opts.stage === undefined ? {} : { stage: opts.stage }) });
      const text = manifestYaml({ ...result, file: basename(path) });
      // Checked as `nimbus deploy` would check it, so a written file always deploys.
      await loadManifestText(dirname(path), `${basename(path)} (as nimbus.yaml)`, text);
      for (const w of result.warnings) process.stderr.write(`warning: ${formatIssue(basename(path), w)}\n`);
      if (opts.out === '-') return void process.stdout.write(text);
      const out = resolve(ctx.cwd, opts.out ?? resolve(dirname(path), 'nimbus.yaml'));
      try {
        await writeFile(out, text, { flag: opts.force === true ? 'w' : 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        throw new NimbusError('BAD_REQUEST', `${relative(ctx.cwd, out) || out} exists: pass --force to overwrite it, or --out <file>`, { details: { file: out } });
      }
      const where = relative(ctx.cwd, out) || out;
      printLine(`wrote ${where} (app ${result.manifest.app}, ${Object.keys(result.manifest.functions).length} function(s), ${result.warnings.length} warning(s))`);
      if (dirname(out) !== dirname(path)) printLine(`note: handler paths are relative to ${relative(ctx.cwd, dirname(path)) || '.'}: deploy from there`);
    });
}

/** `nimbus schema`: the JSON Schema of nimbus.yaml, for editor autocompletion. */
import type { Command } from 'commander';
import { printJson } from '../output.js';

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of nimbus.yaml (point your editor at it for autocompletion)')
    .action(async () => {
      const { manifestJsonSchema } = await import('../../manifest/index.js');
      printJson(manifestJsonSchema());
    });
}

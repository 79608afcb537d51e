/**
 * The JSON Schema of `nimbus.yaml`, generated from the same zod schema the parser uses, so
 * editors (yaml-language-server: `# yaml-language-server: $schema=<path>/nimbus.schema.json`)
 * validate and complete exactly what Nimbus accepts. The committed copy lives in
 * `schema/nimbus.schema.json`; a unit test fails when it is stale. To refresh it:
 * `npx tsc -p tsconfig.json && node dist/src/manifest/json-schema.js`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { manifestSchema } from './schema.js';

/** Path of the committed schema from the repository root. */
export const SCHEMA_FILE = 'schema/nimbus.schema.json';

/** The manifest's JSON Schema (draft 2020-12) with a title and description for editors. */
export function manifestJsonSchema(): Record<string, unknown> {
  // 'input': the file is what users type (before defaults and transforms apply).
  const { $schema, ...generated } = z.toJSONSchema(manifestSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    $schema,
    title: 'Nimbus app manifest (nimbus.yaml)',
    ...generated,
    description:
      'Declares a Nimbus app: its name, the defaults its functions share, and each function with its handler, limits, environment, async-event settings, bindings and triggers (HTTP, schedule, topic, webhook, bucket).',
  };
}

/** The exact text of the committed file: stable key order, 2-space indent, final newline. */
export function manifestJsonSchemaText(): string {
  return `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
}

// Run directly (`node dist/src/manifest/json-schema.js`) to rewrite the committed file.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = fileURLToPath(new URL(`../../../${SCHEMA_FILE}`, import.meta.url));
  writeFileSync(target, manifestJsonSchemaText());
  console.log(`wrote ${target}`);
}

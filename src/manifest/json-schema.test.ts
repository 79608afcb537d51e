import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { manifestJsonSchema, manifestJsonSchemaText, SCHEMA_FILE } from './json-schema.js';

// Compiled tests run from dist/src/manifest/: the repository root is three levels up.
const committed = fileURLToPath(new URL(`../../../${SCHEMA_FILE}`, import.meta.url));

describe('manifest JSON Schema', () => {
  it('is committed up to date', async () => {
    const text = await readFile(committed, 'utf8');
    assert.ok(text === manifestJsonSchemaText(), `${SCHEMA_FILE} is stale: run \`npx tsc -p tsconfig.json && node dist/src/manifest/json-schema.js\` and commit it`);
  });

  it('describes the manifest strictly, with help for editors', () => {
    const schema = manifestJsonSchema() as any;
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.match(schema.title, /nimbus\.yaml/);
    assert.equal(typeof schema.description, 'string');
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required, ['app', 'functions']);
    const fn = schema.properties.functions.additionalProperties;
    assert.equal(fn.additionalProperties, false);
    assert.deepEqual(fn.required, ['handler']);
    assert.deepEqual({ min: fn.properties.memory.minimum, max: fn.properties.memory.maximum }, { min: 64, max: 4096 });
    for (const [key, prop] of Object.entries<any>(fn.properties)) {
      assert.equal(typeof prop.description, 'string', `${key} has a description`);
    }
    const trigger = fn.properties.triggers.items;
    assert.equal(trigger.properties.http.type, 'string');
    assert.equal(trigger.additionalProperties, false);
    for (const [key, prop] of Object.entries<any>(trigger.properties)) {
      assert.equal(typeof prop.description, 'string', `trigger key ${key} has a description`);
    }
    assert.deepEqual(
      trigger.oneOf.map((o: any) => o.required[0]),
      ['http', 'schedule', 'topic', 'webhook', 'bucket', 'email'],
    );
    assert.deepEqual(trigger.dependentRequired.batchSize, ['topic']);
    assert.deepEqual(trigger.dependentRequired.webhook, ['secret']);
    assert.deepEqual({ min: fn.properties.retries.minimum, max: fn.properties.retries.maximum }, { min: 0, max: 10 });
    const binding = fn.properties.bindings.additionalProperties;
    assert.equal(fn.properties.bindings.propertyNames.pattern, '^[A-Z_][A-Z0-9_]*$');
    assert.deepEqual(binding.properties.access.enum, ['read', 'write', 'readwrite']);
    assert.equal(typeof fn.properties.destinations.properties.onFailure.description, 'string');
    assert.deepEqual(
      Object.keys(schema.properties.defaults.properties).filter((k) => !['auth', 'cors', 'rateLimit'].includes(k)),
      Object.keys(fn.properties).filter((k) => k !== 'handler' && k !== 'triggers'),
    );
    assert.match(schema.properties.defaults.description, /every function/);
  });
});

/**
 * Property-based fuzzing of the manifest parser: whatever the text or the value, parseManifest
 * either returns a spec that the server's schema accepts or throws MANIFEST_INVALID, never
 * anything else (a TypeError from a missed case would be a 500 on the server, a crash in the CLI).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { NimbusError } from '../shared/errors.js';
import { parseManifest } from './parse.js';
import { appSpecSchema } from './schema.js';

/** True for a valid spec (which the server's schema must accept too), false for MANIFEST_INVALID. */
function validOrInvalid(text: string, stage?: string): boolean {
  try {
    const spec = parseManifest(text, 'nimbus.yaml', stage);
    const again = appSpecSchema.safeParse(spec);
    assert.ok(again.success, `a parsed spec the server would refuse: ${JSON.stringify(again.error?.issues)}`);
    return true;
  } catch (err) {
    if (!(err instanceof NimbusError) || err.code !== 'MANIFEST_INVALID') throw err;
    assert.ok(Array.isArray(err.details?.['issues']), 'MANIFEST_INVALID lists its issues');
    return false;
  }
}

const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: fc.constantFrom(...'{}[]:-#&*!|>\'"%@` \n\t\\ab1'.split('')), maxLength: 120 }));
const scalar = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const route = fc.oneof(
  fc.constantFrom('GET /a', 'ANY /{proxy+}', 'POST /x/{id}', 'get /a/{b}/{c+}', 'GET /', 'PUT a', 'GET /a//b'),
  fc.string({ maxLength: 30 }).map((s) => `GET /${s}`),
);
const trigger = fc.oneof(
  fc.record({ http: route }),
  fc.record({ topic: scalar }, { requiredKeys: [] }),
  fc.record({ webhook: fc.oneof(fc.constant('/hooks/x'), fc.string({ maxLength: 10 })), secret: fc.constantFrom('S', 'MISSING', '') }),
  fc.record({ schedule: fc.oneof(fc.constant('rate(5 minutes)'), fc.string({ maxLength: 20 })) }),
  fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 3 }),
);
const fn = fc.record(
  {
    handler: fc.oneof(fc.constantFrom('src/a.ts', 'src/a.handler', 'a.b.c'), fc.string({ maxLength: 20 })),
    memory: fc.oneof(fc.integer({ min: -10, max: 5000 }), scalar),
    timeout: scalar,
    env: fc.oneof(fc.constant({ S: 'x' }), fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 3 })),
    triggers: fc.oneof(fc.array(trigger, { maxLength: 4 }), scalar),
    bindings: fc.dictionary(fc.constantFrom('KV', 'B', 'bad'), fc.oneof(fc.record({ kv: scalar }), fc.record({ bucket: scalar, access: scalar }), scalar), { maxKeys: 2 }),
  },
  { requiredKeys: ['handler'] },
);
/** Close to valid: right keys and mostly right values, so the checks after the schema run too. */
const nearlyValid = fc.record(
  {
    app: fc.constantFrom('shop', 'a-b'),
    routes: fc.record({ host: fc.constantFrom('shop.example.com', '*.x.io'), basePath: fc.constantFrom('/shop', '/a/b') }, { requiredKeys: [] }),
    shared: fc.record({ topics: fc.constant(['orders']) }),
    functions: fc.dictionary(
      fc.constantFrom('f', 'g'),
      fc.record({
        handler: fc.constantFrom('src/a.ts', 'src/a.handler'),
        triggers: fc.array(fc.oneof(fc.record({ http: fc.constantFrom('GET /a', 'ANY /{proxy+}', 'POST /x/{id}', 'GET /') }), fc.constant({ topic: 'orders' })), { maxLength: 3 }),
      }),
      { minKeys: 1, maxKeys: 2 },
    ),
  },
  { requiredKeys: ['app', 'functions'] },
);
const manifestish = fc.record(
  {
    app: fc.oneof(fc.constantFrom('shop', 'a-b', 'Bad'), scalar),
    routes: fc.oneof(
      fc.record(
        { host: fc.oneof(fc.constantFrom('shop.example.com', '*.x.io', 'a:80', '*.', 'UP.Case.Org'), scalar), basePath: fc.oneof(fc.constantFrom('/shop', '/', '/a/{b}', 'x'), scalar) },
        { requiredKeys: [] },
      ),
      scalar,
    ),
    shared: fc.oneof(fc.record({ topics: fc.array(scalar, { maxLength: 2 }) }, { requiredKeys: [] }), scalar),
    defaults: fc.oneof(fn, scalar),
    functions: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('f', 'g'), fc.string({ maxLength: 6 })), fn, { maxKeys: 3 }), scalar),
  },
  { requiredKeys: [] },
);

describe('manifest fuzzing: MANIFEST_INVALID or a valid spec, never another throw', () => {
  it('arbitrary text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        validOrInvalid(text);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary YAML values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        validOrInvalid(stringify(value));
      }),
      { numRuns: 300 },
    );
  });

  it('manifest-shaped values, with and without a stage', () => {
    const stage = fc.option(fc.oneof(fc.constantFrom('staging', 'dev', 'a'.repeat(40), 'Bad', ''), fc.string({ maxLength: 10 })), { nil: undefined });
    let valid = 0;
    fc.assert(
      fc.property(fc.oneof(manifestish, nearlyValid), stage, (value, s) => {
        if (validOrInvalid(stringify(value), s)) valid++;
      }),
      { numRuns: 400 },
    );
    // The generator must reach valid manifests too, or the property says little about the checks.
    assert.ok(valid > 0, 'no generated manifest was valid');
  });
});

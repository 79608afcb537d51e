import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseManifest } from './parse.js';
import { appSpecSchema } from './schema.js';

const manifest = `
app: shop
defaults: { memory: 256, env: { A: 1 } }
functions:
  web: { handler: src/web.ts, triggers: [{ http: "GET /a/{id}" }, { http: "ANY /b/{proxy+}" }] }
  lambda: { handler: src/l.handler, concurrency: 3, minInstances: 3, timeout: 1.5 }
`;

describe('appSpecSchema', () => {
  it('accepts exactly what parseManifest outputs, also after a JSON round trip', () => {
    const spec = parseManifest(manifest);
    assert.deepEqual(appSpecSchema.parse(spec), spec);
    assert.deepEqual(appSpecSchema.parse(JSON.parse(JSON.stringify(spec))), spec);
    const resolved = structuredClone(spec);
    if (resolved.functions['lambda']) resolved.functions['lambda'].handler.file = 'src/l.cjs';
    assert.equal(appSpecSchema.safeParse(resolved).success, true);
  });

  it('rejects unknown keys, raw manifest forms and out-of-range values', () => {
    const spec = parseManifest(manifest);
    const bad: [string, (s: any) => void][] = [
      ['extra top-level key', (s) => (s.defaults = {})],
      ['extra function key', (s) => (s.functions.web.handlerFile = 'x')],
      ['string handler', (s) => (s.functions.web.handler = 'src/web.ts')],
      ['raw trigger form', (s) => (s.functions.web.triggers = [{ http: 'GET /x' }])],
      ['missing setting', (s) => delete s.functions.web.idleTimeout],
      ['number env value', (s) => (s.functions.web.env = { A: 1 })],
      ['reserved env', (s) => (s.functions.web.env = { NIMBUS_X: '1' })],
      ['memory too big', (s) => (s.functions.web.memory = 8192)],
      ['bad method', (s) => (s.functions.web.triggers[0].method = 'FETCH')],
      ['bad path', (s) => (s.functions.web.triggers[0].path = '/a/{proxy+}/b')],
      ['no functions', (s) => (s.functions = {})],
    ];
    for (const [what, mutate] of bad) {
      const copy = structuredClone(spec);
      mutate(copy);
      assert.equal(appSpecSchema.safeParse(copy).success, false, what);
    }
  });

  it('runs the cross-field checks: route conflicts and minInstances', () => {
    const spec = parseManifest(manifest);
    const conflict = structuredClone(spec);
    conflict.functions['lambda']?.triggers.push({ type: 'http', method: 'POST', path: '/b/{rest+}' });
    const result = appSpecSchema.safeParse(conflict);
    assert.equal(result.success, false);
    assert.deepEqual(result.error?.issues[0]?.path, ['functions', 'lambda', 'triggers', 0]);
    assert.match(result.error?.issues[0]?.message ?? '', /overlaps "ANY \/b\/\{proxy\+\}" of function "web"/);

    const warm = structuredClone(spec);
    if (warm.functions['lambda']) warm.functions['lambda'].minInstances = 4;
    assert.match(appSpecSchema.safeParse(warm).error?.issues[0]?.message ?? '', /minInstances \(4\) is more than concurrency \(3\)/);
  });
});

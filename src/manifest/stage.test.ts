import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { NimbusError } from '../shared/errors.js';
import { hostMatches, requestHost, stageHost } from './namespace.js';
import { parseManifest } from './parse.js';

const MANIFEST = `app: shop
shared: { topics: [audit] }
functions:
  f:
    handler: src/f.ts
    env: { STAGE: "\${stage}" }
    bindings:
      CARTS: { kv: carts }
      AUDIT: { topic: audit }
      FILES: { bucket: files }
    destinations: { onFailure: { topic: failures } }
    triggers:
      - http: GET /orders
      - topic: orders
`;

function invalid(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof NimbusError);
    assert.equal(err.code, 'MANIFEST_INVALID');
    return err.message;
  }
  assert.fail('expected MANIFEST_INVALID');
}

describe('stages', () => {
  it('without a stage: ${stage} is "prod" and nothing is renamed', () => {
    const spec = parseManifest(MANIFEST);
    assert.equal(spec.app, 'shop');
    assert.equal(spec.routes, undefined);
    assert.equal(spec.functions['f']!.env['STAGE'], 'prod');
  });

  it('the stage copy: its own app, routes under /<stage>, resources prefixed unless shared', () => {
    const spec = parseManifest(MANIFEST, 'nimbus.yaml', 'staging');
    assert.equal(spec.app, 'shop-staging');
    assert.equal(spec.stage, 'staging');
    assert.deepEqual(spec.routes, { basePath: '/staging' });
    const f = spec.functions['f']!;
    assert.equal(f.env['STAGE'], 'staging');
    assert.deepEqual(f.bindings, { CARTS: { type: 'kv', kv: 'staging-carts' }, AUDIT: { type: 'topic', topic: 'audit' }, FILES: { type: 'bucket', bucket: 'staging-files', access: 'readwrite' } });
    assert.deepEqual(f.destinations.onFailure, { topic: 'staging-failures' });
    assert.deepEqual(
      f.triggers.map((t) => (t.type === 'topic' ? t.topic : t.type)),
      ['http', 'staging-orders'],
    );
  });

  it('puts the stage before the base path, or on <stage>.<host>', () => {
    assert.deepEqual(parseManifest(MANIFEST.replace('shared:', 'routes: { basePath: /shop }\nshared:'), 'nimbus.yaml', 'dev').routes, { basePath: '/dev/shop' });
    assert.deepEqual(parseManifest(MANIFEST.replace('shared:', 'routes: { host: Shop.Example.com, basePath: /v1 }\nshared:'), 'nimbus.yaml', 'dev').routes, {
      host: 'dev.shop.example.com',
      basePath: '/v1',
    });
    assert.equal(stageHost('*.x.io', 'dev'), '*.dev.x.io');
  });

  it('refuses bad stage names and names the stage makes too long', () => {
    // 'a-' would make the host label 'a-.shop.example.com' (found by the manifest fuzz test).
    for (const bad of ['Staging', '1st', '', 'a'.repeat(33), 'a_b', 'a-', 'staging-'])
      assert.match(
        invalid(() => parseManifest(MANIFEST, 'nimbus.yaml', bad)),
        /is not a stage name/,
      );
    assert.match(
      invalid(() => parseManifest(MANIFEST.replace('app: shop', `app: ${'s'.repeat(60)}`), 'nimbus.yaml', 'staging')),
      /longer than 63/,
    );
  });
});

describe('hosts', () => {
  it('matches wildcards one or more labels deep, never the bare name', () => {
    assert.equal(hostMatches('*.shop.example.com', 'a.shop.example.com'), true);
    assert.equal(hostMatches('*.shop.example.com', 'a.b.shop.example.com'), true);
    assert.equal(hostMatches('*.shop.example.com', 'shop.example.com'), false);
    assert.equal(hostMatches('*.shop.example.com', 'evilshop.example.com'), false);
    assert.equal(hostMatches('shop.example.com', 'shop.example.com'), true);
  });
  it('reads the Host header without port, case or a trailing dot', () => {
    assert.equal(requestHost('Shop.Example.COM:8080'), 'shop.example.com');
    assert.equal(requestHost('shop.example.com.'), 'shop.example.com');
    assert.equal(requestHost('[::1]:80'), '[::1]');
    assert.equal(requestHost(undefined), '');
  });
  it('refuses hosts with a port, a scheme or a misplaced wildcard, and base paths with params', () => {
    const bad = [
      'routes: { host: "shop.example.com:80" }',
      'routes: { host: "http://x.io" }',
      'routes: { host: "a.*.io" }',
      'routes: { basePath: "/a/{b}" }',
      'routes: { basePath: "/" }',
      'routes: { basePath: "/a/" }',
    ];
    for (const line of bad) invalid(() => parseManifest(MANIFEST.replace('shared:', `${line}\nshared:`)));
  });
});

import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseManifest } from './parse.js';
import { catchManifestError, issueAt } from './assert-issues.js';

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('parseManifest: errors name file, line, column and key path', () => {
  it('reports a value out of range at the value', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(lines('app: shop', 'functions:', '  hello:', '    handler: src/hello.ts', '    triggers:', '      - http: GET /hello', '    memory: 9000')),
    );
    assert.equal(caught.error.status, 400);
    assert.match(caught.error.message, /^nimbus\.yaml is invalid \(1 problem\):\n/);
    assert.match(caught.error.message, /nimbus\.yaml:7:13 functions\.hello\.memory: must be at most 4096 \(got 9000\)/);
    assert.deepEqual(caught.issues, [{ path: 'functions.hello.memory', line: 7, column: 13, message: 'must be at most 4096 (got 9000)' }]);
    assert.equal(caught.error.details?.['file'], 'nimbus.yaml');
  });

  it('uses the file name it is given', async () => {
    const caught = await catchManifestError(() => parseManifest('app: 1x\nfunctions: { f: { handler: f.js } }\n', 'apps/shop/nimbus.yaml'));
    assert.match(caught.error.message, /apps\/shop\/nimbus\.yaml:1:6 app: must be 1-63 characters/);
  });

  it('reports every problem at once, in file order', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(
        lines(
          'app: Shop_1',
          'functions:',
          '  hello:',
          '    handler: src/hello.ts',
          '    memroy: 256',
          '    timeout: 0',
          '    instanceConcurrency: 1001',
          '    idleTimeout: 1.5',
          '    minInstances: -1',
          '  world:',
          '    memory: 32',
        ),
      ),
    );
    assert.deepEqual(
      caught.issues.map((i) => [i.line, i.path]),
      [
        [1, 'app'],
        [5, 'functions.hello.memroy'],
        [6, 'functions.hello.timeout'],
        [7, 'functions.hello.instanceConcurrency'],
        [8, 'functions.hello.idleTimeout'],
        [9, 'functions.hello.minInstances'],
        [10, 'functions.world.handler'],
        [11, 'functions.world.memory'],
      ],
    );
    assert.match(caught.error.message, /\(8 problems\)/);
    assert.match(issueAt(caught, 'functions.hello.memroy').message, /unknown key "memroy": did you mean "memory"\? allowed keys: handler, memory/);
    assert.equal(issueAt(caught, 'functions.hello.timeout').message, 'must be greater than 0 (got 0)');
    assert.equal(issueAt(caught, 'functions.hello.idleTimeout').message, 'must be a whole number (got 1.5)');
    assert.equal(issueAt(caught, 'functions.world.handler').message, 'is required');
    assert.equal(issueAt(caught, 'functions.world.memory').message, 'must be at least 64 (got 32)');
  });

  it('rejects unknown keys at every level', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(lines('app: a', 'name: x', 'defaults: { handler: x.ts }', 'functions:', '  f:', '    handler: f.js', '    triggers:', '      - http: GET /a', '        authz: none')),
    );
    assert.deepEqual(
      caught.issues.map((i) => [i.path, i.line, i.column]),
      [
        ['name', 2, 1],
        ['defaults.handler', 3, 13],
        ['functions.f.triggers[0].authz', 9, 9],
      ],
    );
    assert.match(issueAt(caught, 'defaults.handler').message, /unknown key "handler": allowed keys: memory, timeout/);
  });

  it('checks names of the app, functions and environment variables', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(
        lines('app: my_shop', 'functions:', '  1st: { handler: a.js }', '  ok:', '    handler: b.js', '    env:', '      NIMBUS_APP: x', '      2FA: on', '      EMPTY:', '      LIST: [1]'),
      ),
    );
    assert.match(issueAt(caught, 'app').message, /lower-case letters, digits and "-"/);
    assert.deepEqual(
      caught.issues.map((i) => [i.path, i.line]),
      [
        ['app', 1],
        ['functions["1st"]', 3],
        ['functions.ok.env.NIMBUS_APP', 7],
        ['functions.ok.env["2FA"]', 8],
        ['functions.ok.env.EMPTY', 9],
        ['functions.ok.env.LIST', 10],
      ],
    );
    assert.match(issueAt(caught, 'functions["1st"]').message, /function names start with a letter/);
    assert.match(issueAt(caught, 'functions.ok.env.NIMBUS_APP').message, /reserved for the platform/);
    assert.equal(issueAt(caught, 'functions.ok.env.EMPTY').message, 'must be a string, number, boolean or { secret: <name> } (got null)');
    assert.equal(issueAt(caught, 'functions.ok.env.LIST').message, 'must be a string, number, boolean or { secret: <name> } (got a list)');
  });

  it('reports bad route and handler syntax at the string', async () => {
    const caught = await catchManifestError(() => parseManifest(lines('app: a', 'functions:', '  f:', '    handler: src/f', '    triggers:', '      - http: GET /a/{rest+}/b', '      - http: /b')));
    assert.deepEqual(issueAt(caught, 'functions.f.handler'), {
      path: 'functions.f.handler',
      line: 4,
      column: 14,
      message: issueAt(caught, 'functions.f.handler').message,
    });
    assert.match(issueAt(caught, 'functions.f.handler').message, /names neither a module file nor an export/);
    const route = issueAt(caught, 'functions.f.triggers[0].http');
    assert.equal(route.line, 6);
    assert.equal(route.column, 15);
    assert.match(route.message, /must be the last segment/);
    assert.match(issueAt(caught, 'functions.f.triggers[1].http').message, /has no method/);
  });

  it('rejects two functions on the same route, naming both', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(
        lines(
          'app: a',
          'functions:',
          '  users:',
          '    handler: users.js',
          '    triggers: [{ http: "GET /users/{id}" }]',
          '  profiles:',
          '    handler: profiles.js',
          '    triggers:',
          '      - http: GET /users/{userId}',
        ),
      ),
    );
    const issue = issueAt(caught, 'functions.profiles.triggers[0].http');
    assert.equal(issue.line, 9);
    assert.match(issue.message, /"GET \/users\/\{userId\}" of function "profiles" overlaps "GET \/users\/\{id\}" of function "users"/);
    assert.match(caught.error.message, /nimbus\.yaml:9:15 functions\.profiles\.triggers\[0\]\.http: route/);
  });

  it('rejects ANY overlapping another method, also inside one function', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(lines('app: a', 'functions:', '  f:', '    handler: f.js', '    triggers:', '      - http: ANY /x/{proxy+}', '      - http: DELETE /x/{path+}')),
    );
    assert.match(issueAt(caught, 'functions.f.triggers[1].http').message, /overlaps "ANY \/x\/\{proxy\+\}" of another trigger of this function/);
  });

  it('still reports a route conflict when another function has an error', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(
        lines('app: a', 'functions:', '  f: { handler: f.js, triggers: [{ http: GET /a }] }', '  g: { handler: g.js, triggers: [{ http: GET /a }] }', '  h: { handler: h.js, memory: big }'),
      ),
    );
    assert.deepEqual(
      caught.issues.map((i) => i.path),
      ['functions.g.triggers[0].http', 'functions.h.memory'],
    );
    assert.equal(issueAt(caught, 'functions.h.memory').message, 'must be a number (got "big")');
  });

  it('rejects minInstances above concurrency, defaults included', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(lines('app: a', 'defaults: { concurrency: 2 }', 'functions:', '  f:', '    handler: f.js', '    minInstances: 3', '  g:', '    handler: g.js', '    minInstances: 2')),
    );
    assert.deepEqual(caught.issues, [
      {
        path: 'functions.f.minInstances',
        line: 6,
        column: 19,
        message: 'minInstances (3) is more than concurrency (2): lower minInstances or raise concurrency',
      },
    ]);
  });

  it('reports YAML syntax errors with their line', async () => {
    const caught = await catchManifestError(() => parseManifest(lines('app: a', 'functions:', '  f:', '    handler: "f.js', '')));
    assert.equal(caught.issues.length, 1);
    assert.match(caught.issues[0]?.message ?? '', /^YAML syntax: Missing closing "quote/);
    assert.equal(caught.issues[0]?.path, '');
    const dup = await catchManifestError(() => parseManifest(lines('app: a', 'app: b', 'functions: {}')));
    assert.match(dup.error.message, /nimbus\.yaml:2:1: YAML syntax: Map keys must be unique/);
    const flow = await catchManifestError(() => parseManifest(lines('app: a', 'functions:', '  f:', '    handler: f.js', '    triggers: [{ http: GET /a/{id} }]', '  g:', '    handler: g.js')));
    assert.equal(flow.issues.length, 1);
    assert.equal(flow.issues[0]?.line, 5);
    assert.match(flow.error.message, /quote values that contain braces.*more errors after it may be caused by this one/);
    const indent = await catchManifestError(() => parseManifest(lines('app: a', 'functions:', '  f:', '    handler: f.js', '   memory: 1')));
    assert.equal(indent.issues[0]?.line, 5);
  });

  it('explains an empty file, a non-mapping and an app without functions', async () => {
    const empty = await catchManifestError(() => parseManifest('# nothing yet\n'));
    assert.match(empty.error.message, /nimbus\.yaml:1:1: the file is empty: start with "app: <name>"/);
    const list = await catchManifestError(() => parseManifest('- app: a\n'));
    assert.equal(list.issues[0]?.message, 'must be a mapping of keys to values (got a list)');
    const none = await catchManifestError(() => parseManifest('app: a\nfunctions: {}\n'));
    assert.deepEqual(none.issues, [{ path: 'functions', line: 2, column: 12, message: 'define at least one function' }]);
    const missing = await catchManifestError(() => parseManifest('app: a\n'));
    assert.deepEqual(missing.issues, [{ path: 'functions', line: 1, column: 1, message: 'is required' }]);
    const nullFn = await catchManifestError(() => parseManifest('app: a\nfunctions:\n  f:\n'));
    assert.deepEqual(nullFn.issues, [{ path: 'functions.f', line: 3, column: 3, message: 'must be a mapping of keys to values (got null)' }]);
  });
});

import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseManifest } from './parse.js';
import { catchManifestError, issueAt } from './assert-issues.js';
import type { CaughtManifestError } from './assert-issues.js';

const lines = (...l: string[]): string => `${l.join('\n')}\n`;
/** A manifest whose function `f` (line 3) has these lines from line 6 on. */
const withF = (...body: string[]): Promise<CaughtManifestError> => catchManifestError(() => parseManifest(lines('app: a', 'functions:', '  f:', '    handler: f.js', '    env: { S: s }', ...body)));
const where = (caught: CaughtManifestError) => caught.issues.map((i) => [i.line, i.column, i.path]);

describe('parseManifest: errors in async-event settings and bindings', () => {
  it('reports out-of-range retries and maxEventAge, also in defaults', async () => {
    const caught = await catchManifestError(() => parseManifest(lines('app: a', 'defaults: { retries: -1 }', 'functions:', '  f:', '    handler: f.js', '    retries: 11', '    maxEventAge: 59')));
    assert.deepEqual(caught.issues, [
      { path: 'defaults.retries', line: 2, column: 22, message: 'must be at least 0 (got -1)' },
      { path: 'functions.f.retries', line: 6, column: 14, message: 'must be at most 10 (got 11)' },
      { path: 'functions.f.maxEventAge', line: 7, column: 18, message: 'must be at least 60 (got 59)' },
    ]);
  });

  it('reports bad destinations at the key to fix', async () => {
    const caught = await withF('    destinations:', '      onSuccess: { functon: audit }', '      onFailure: { function: f, topic: t }', '      onError: null');
    assert.deepEqual(where(caught), [
      [7, 20, 'functions.f.destinations.onSuccess.functon'],
      [8, 33, 'functions.f.destinations.onFailure.topic'],
      [9, 7, 'functions.f.destinations.onError'],
    ]);
    assert.equal(
      issueAt(caught, 'functions.f.destinations.onSuccess.functon').message,
      'unknown destination kind "functon": did you mean "function"? a destination has exactly one of function, topic',
    );
    assert.match(issueAt(caught, 'functions.f.destinations.onFailure.topic').message, /has exactly one of function, topic, and this one also has "function"/);
    assert.equal(issueAt(caught, 'functions.f.destinations.onError').message, 'unknown key "onError": allowed keys: onSuccess, onFailure');
  });

  it('rejects a destination naming a function the app does not have, at the line that names it', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(
        lines(
          'app: a',
          'defaults:',
          '  destinations: { onFailure: { function: errors } }',
          'functions:',
          '  f:',
          '    handler: f.js',
          '    destinations:',
          '      onSuccess: { function: audit }',
          '  g: { handler: g.js }',
        ),
      ),
    );
    assert.deepEqual(caught.issues, [
      {
        path: 'defaults.destinations.onFailure.function',
        line: 3,
        column: 42,
        message: '"errors" is not a function of this app: name one of f, g, or use { topic: <name> }',
      },
      {
        path: 'functions.f.destinations.onSuccess.function',
        line: 8,
        column: 30,
        message: '"audit" is not a function of this app: name one of f, g, or use { topic: <name> }',
      },
    ]);
  });

  it('accepts a destination naming a function that has errors of its own', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(lines('app: a', 'functions:', '  f:', '    handler: f.js', '    destinations: { onFailure: { function: g } }', '  g: { handler: g.js, memory: 1 }')),
    );
    assert.deepEqual(where(caught), [[6, 31, 'functions.g.memory']]);
  });

  it('checks binding names, kinds, resource names and access', async () => {
    const caught = await withF(
      '    bindings:',
      '      sessions: { kv: sessions }',
      '      NIMBUS_KV: { kv: x }',
      '      UPLOADS: { bucket: Uploads, access: all }',
      '      BOTH: { kv: a, topic: b }',
      '      KV: { kv: a, access: read }',
      '      QUEUE: { sqs: jobs }',
      '      EMPTY: {}',
    );
    assert.deepEqual(where(caught), [
      [7, 7, 'functions.f.bindings.sessions'],
      [8, 7, 'functions.f.bindings.NIMBUS_KV'],
      [9, 26, 'functions.f.bindings.UPLOADS.bucket'],
      [9, 43, 'functions.f.bindings.UPLOADS.access'],
      [10, 22, 'functions.f.bindings.BOTH.topic'],
      [11, 20, 'functions.f.bindings.KV.access'],
      [12, 16, 'functions.f.bindings.QUEUE.sqs'],
      [13, 14, 'functions.f.bindings.EMPTY'],
    ]);
    assert.match(issueAt(caught, 'functions.f.bindings.sessions').message, /^bad name "sessions": binding names hold upper-case letters/);
    assert.match(issueAt(caught, 'functions.f.bindings.NIMBUS_KV').message, /reserved for the platform: rename the binding/);
    assert.match(issueAt(caught, 'functions.f.bindings.UPLOADS.bucket').message, /lower-case letters, digits, "\." and "-"/);
    assert.equal(issueAt(caught, 'functions.f.bindings.UPLOADS.access').message, 'must be one of "read", "write", "readwrite" (got "all")');
    assert.equal(issueAt(caught, 'functions.f.bindings.KV.access').message, '"access" applies only to bucket bindings, not to kv: remove it (keys of this binding: kv)');
    assert.equal(issueAt(caught, 'functions.f.bindings.QUEUE.sqs').message, 'unknown binding kind "sqs": a binding has exactly one of kv, bucket, topic');
    assert.match(issueAt(caught, 'functions.f.bindings.EMPTY').message, /^a binding needs exactly one of kv, bucket, topic, e\.g\. \{ kv: sessions \}/);
  });

  it('rejects a binding named like an env variable, once even when it comes from defaults', async () => {
    const caught = await catchManifestError(() =>
      parseManifest(
        lines(
          'app: a',
          'defaults:',
          '  env: { TOKEN: t }',
          '  bindings: { TOKEN: { kv: tokens } }',
          'functions:',
          '  f: { handler: f.js }',
          '  g:',
          '    handler: g.js',
          '    env: { CACHE: c }',
          '    bindings:',
          '      CACHE: { kv: cache }',
        ),
      ),
    );
    assert.deepEqual(where(caught), [
      [4, 15, 'defaults.bindings.TOKEN'],
      [11, 7, 'functions.g.bindings.CACHE'],
    ]);
    assert.equal(
      issueAt(caught, 'functions.g.bindings.CACHE').message,
      'binding "CACHE" has the name of an env variable (env or defaults.env): the function would see only one of them, so rename one',
    );
  });
});

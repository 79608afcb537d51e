import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { handlerCandidates, parseHandler } from './handler.js';

describe('parseHandler', () => {
  it('reads a module file as a module handler', () => {
    for (const ext of ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.mts', '.cts']) {
      assert.deepEqual(parseHandler(`src/hello${ext}`), { file: `src/hello${ext}`, export: null });
    }
    assert.deepEqual(parseHandler('./src//hello.ts'), { file: 'src/hello.ts', export: null });
  });

  it('splits a Lambda-style handler at the last dot', () => {
    assert.deepEqual(parseHandler('src/app.lambdaHandler'), { file: 'src/app', export: 'lambdaHandler' });
    assert.deepEqual(parseHandler('app.handler'), { file: 'app', export: 'handler' });
    assert.deepEqual(parseHandler('src/v1.2/app.$main'), { file: 'src/v1.2/app', export: '$main' });
    assert.deepEqual(parseHandler('lib/app.min.handler'), { file: 'lib/app.min', export: 'handler' });
  });

  it('rejects what names no file or export, or leaves the app directory', () => {
    assert.throws(() => parseHandler('src/hello'), /names neither a module file nor an export/);
    assert.throws(() => parseHandler('src/v1.2/app'), /names neither/);
    assert.throws(() => parseHandler('src/app.my-handler'), /not a JavaScript export name/);
    assert.throws(() => parseHandler('/abs/app.ts'), /relative to the app directory/);
    assert.throws(() => parseHandler('../other/app.ts'), /outside the app directory/);
    assert.throws(() => parseHandler('src\\app.ts'), /use "\/"/);
    assert.throws(() => parseHandler(' src/app.ts'), /surrounding spaces/);
    assert.throws(() => parseHandler(''), /empty/);
  });
});

describe('handlerCandidates', () => {
  it('tries .ts, .js, .mjs, .cjs in order for a Lambda-style handler', () => {
    assert.deepEqual(handlerCandidates({ file: 'src/app', export: 'handler' }), ['src/app.ts', 'src/app.js', 'src/app.mjs', 'src/app.cjs']);
  });

  it('tries only the file itself for a module, or once resolved', () => {
    assert.deepEqual(handlerCandidates({ file: 'src/hello.ts', export: null }), ['src/hello.ts']);
    assert.deepEqual(handlerCandidates({ file: 'src/app.cjs', export: 'handler' }), ['src/app.cjs']);
  });
});

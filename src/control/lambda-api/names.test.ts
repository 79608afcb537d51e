/** FunctionName and Qualifier resolution as the Lambda API reads them (names.ts). */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FunctionVersion } from '../../domain/index.js';
import { AwsError } from './errors.js';
import { parseFunctionName, resolveVersion, type VersionSource } from './names.js';

const v = (version: number): FunctionVersion => ({ app: 'shop', name: 'greet', version, hash: `h${version}`, codeHash: 'c', codeSize: 1, config: {} as FunctionVersion['config'], createdAt: 0 });

function type(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof AwsError);
    return err.type;
  }
  return 'ok';
}

describe('Lambda FunctionName', () => {
  it('reads <app>.<fn>, the function alone for a one-app key, name:qualifier and ARNs', () => {
    assert.deepEqual(parseFunctionName('shop.greet', undefined, []), { app: 'shop', fn: 'greet', qualifier: undefined });
    assert.deepEqual(parseFunctionName('greet', '3', ['shop']), { app: 'shop', fn: 'greet', qualifier: '3' });
    assert.deepEqual(parseFunctionName('shop.greet:live', undefined, []), { app: 'shop', fn: 'greet', qualifier: 'live' });
    assert.deepEqual(parseFunctionName('arn:aws:lambda:eu-west-1:123456789012:function:shop.greet:$LATEST', undefined, []), { app: 'shop', fn: 'greet', qualifier: '$LATEST' });
    assert.deepEqual(parseFunctionName('arn:aws:lambda:us-east-1:000000000000:function:greet', '2', ['shop']), { app: 'shop', fn: 'greet', qualifier: '2' });
  });

  it('refuses names it cannot place, and qualifiers that disagree', () => {
    assert.equal(
      type(() => parseFunctionName('greet', undefined, [])),
      'ResourceNotFoundException',
    );
    assert.equal(
      type(() => parseFunctionName('greet', undefined, ['shop', 'blog'])),
      'ResourceNotFoundException',
    );
    assert.equal(
      type(() => parseFunctionName('Shop.greet', undefined, [])),
      'ResourceNotFoundException',
    );
    assert.equal(
      type(() => parseFunctionName('shop.greet:1', '2', [])),
      'InvalidParameterValueException',
    );
    assert.equal(
      type(() => parseFunctionName('arn:aws:s3:::bucket', undefined, [])),
      'InvalidParameterValueException',
    );
  });
});

describe('Lambda qualifiers', () => {
  const src = (aliases: Record<string, FunctionVersion> = {}, hook = true): VersionSource => ({
    current: (app, fn) => (app === 'shop' && fn === 'greet' ? v(3) : undefined),
    getVersion: async (_a, _f, n) => (n >= 1 && n <= 3 ? v(n) : undefined),
    ...(hook ? { resolveAlias: async (_a: string, _f: string, alias: string) => aliases[alias] } : {}),
  });
  const resolve = (qualifier: string | undefined, s = src()) => resolveVersion({ app: 'shop', fn: 'greet', qualifier }, s, 'us-east-1');

  it('$LATEST and no qualifier are the active version; a number is that version', async () => {
    assert.equal((await resolve(undefined)).version, 3);
    assert.equal((await resolve('$LATEST')).version, 3);
    assert.equal((await resolve('1')).version, 1);
  });

  it('an alias goes through the hook; unknown ones, versions and functions are not found', async () => {
    assert.equal((await resolve('live', src({ live: v(2) }))).version, 2);
    await assert.rejects(resolve('live', src({})), (e: AwsError) => e.type === 'ResourceNotFoundException');
    await assert.rejects(resolve('live', src({}, false)), (e: AwsError) => e.type === 'ResourceNotFoundException', 'no hook wired: no aliases');
    await assert.rejects(resolve('9'), (e: AwsError) => e.type === 'ResourceNotFoundException');
    await assert.rejects(
      resolveVersion({ app: 'shop', fn: 'nope', qualifier: undefined }, src(), 'us-east-1'),
      (e: AwsError) => e.type === 'ResourceNotFoundException' && /function:shop\.nope/.test(e.message),
    );
    await assert.rejects(resolve('bad qualifier!'), (e: AwsError) => e.type === 'InvalidParameterValueException');
  });
});

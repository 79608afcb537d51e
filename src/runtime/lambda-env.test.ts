import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isRegion } from '../domain/index.js';
import type { FunctionVersion } from '../domain/index.js';
import { lambdaEnvironment } from './lambda-env.js';

const fn = { app: 'shop', name: 'checkout', version: 7, config: { memory: 512 } } as unknown as FunctionVersion;

describe('the environment Lambda sets', () => {
  it('names the function, its version, memory, region and log group and stream as Lambda does', () => {
    const env = lambdaEnvironment(fn, { region: 'eu-west-1', provisioned: false, now: Date.UTC(2026, 10, 30) });
    assert.equal(env['AWS_LAMBDA_FUNCTION_NAME'], 'checkout');
    assert.equal(env['AWS_LAMBDA_FUNCTION_VERSION'], '7');
    assert.equal(env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'], '512');
    assert.equal(env['AWS_REGION'], 'eu-west-1');
    assert.equal(env['AWS_DEFAULT_REGION'], 'eu-west-1');
    assert.equal(env['AWS_LAMBDA_LOG_GROUP_NAME'], '/aws/lambda/shop-checkout');
    assert.match(env['AWS_LAMBDA_LOG_STREAM_NAME'] ?? '', /^2026\/11\/30\/\[7\][0-9a-f]{32}$/);
    assert.equal(env['AWS_LAMBDA_INITIALIZATION_TYPE'], 'on-demand');
    assert.equal(env['TZ'], ':UTC');
  });

  it('marks minInstances as provisioned concurrency and never carries credentials or a runtime API', () => {
    const env = lambdaEnvironment(fn, { region: 'us-east-1', provisioned: true, now: 0 });
    assert.equal(env['AWS_LAMBDA_INITIALIZATION_TYPE'], 'provisioned-concurrency');
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API']) assert.equal(k in env, false, k);
  });

  it('accepts region names as AWS spells them', () => {
    for (const r of ['us-east-1', 'eu-central-2', 'us-gov-west-1', 'ap-southeast-4']) assert.ok(isRegion(r), r);
    for (const r of ['', 'US-EAST-1', 'useast1', 'us-east', 'us-east-1; rm']) assert.ok(!isRegion(r), r);
  });
});

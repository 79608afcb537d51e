/**
 * The Lambda Invoke API with the real `@aws-sdk/client-lambda` against a real node: credentials
 * from `nimbus keys create --aws` (the CLI), endpoint = the admin URL. Sync, async (the queued
 * event runs: its record), dry run, log tail, a function error, unknown functions and versions,
 * a wrong secret, a key limited to another app, scopes, ListFunctions/GetFunction and revocation.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetFunctionCommand, InvokeCommand, LambdaClient, ListFunctionsCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { runCli } from '../src/cli/run-cli.js';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const FILES = {
  'src/greet.mjs': `export const handler = async (event) => {
  console.log('greeting ' + event.name);
  return { greeting: 'hi ' + event.name };
};`,
  'src/fail.mjs': `export const handler = async () => { throw new TypeError('bad input here'); };`,
  'src/slow.mjs': `export const handler = async () => { await new Promise((r) => setTimeout(r, 1500)); return 'done'; };`,
};

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Every file under `dir`, whole paths (the database, its WAL, key files). */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

const decode = (p: Uint8Array | undefined): unknown => JSON.parse(Buffer.from(p ?? new Uint8Array()).toString('utf8'));

/** The error the SDK throws: its name (the error class), HTTP status and message. */
async function thrown(call: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  assert.fail('the call succeeded');
}

describe('the AWS SDK (Lambda Invoke API)', () => {
  let n: TestNimbus;
  let shop: Creds;
  let everyApp: Creds;
  let blogOnly: Creds;
  let reader: Creds;
  const clients: LambdaClient[] = [];

  const lambda = (credentials: Creds): LambdaClient => {
    const c = new LambdaClient({ endpoint: n.adminUrl, region: 'us-east-1', credentials, maxAttempts: 1 });
    clients.push(c);
    return c;
  };

  /** `nimbus keys create ... --aws` through the CLI, its printed credentials parsed. */
  async function createAwsKey(args: string[]): Promise<Creds> {
    const out = await runCli(['keys', 'create', ...args, '--aws'], { cwd: n.dataDir, env: { NIMBUS_URL: n.adminUrl, NIMBUS_KEY: n.adminKey } });
    assert.equal(out.code, 0, out.stderr);
    const env = Object.fromEntries(
      out.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
    assert.match(env['AWS_ACCESS_KEY_ID'] ?? '', /^NIMB[A-Z2-7]{16}$/);
    assert.equal(env['AWS_SECRET_ACCESS_KEY']?.length, 40);
    return { accessKeyId: env['AWS_ACCESS_KEY_ID']!, secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] };
  }

  before(async () => {
    n = await startTestNimbus();
    await n.deploy({ 'nimbus.yaml': manifest('shop', { greet: { handler: 'src/greet.handler', memory: 256, timeout: 7 }, fail: { handler: 'src/fail.handler' } }), ...FILES });
    await n.deploy({
      'nimbus.yaml': manifest('blog', {
        greet: { handler: 'src/greet.handler' },
        slow: { handler: 'src/slow.handler', concurrency: 1, maxQueueWait: 0 },
        hang: { handler: 'src/slow.handler', timeout: 1 },
      }),
      ...FILES,
    });
    shop = await createAwsKey(['--name', 'sdk', '--scope', 'invoke', '--app', 'shop']);
    everyApp = await createAwsKey(['--name', 'sdk-all', '--scope', 'invoke']);
    blogOnly = await createAwsKey(['--name', 'sdk-blog', '--scope', 'invoke', '--app', 'blog']);
    reader = await createAwsKey(['--name', 'sdk-read', '--scope', 'read']);
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await n?.close();
  });

  it('invokes synchronously: the event in, the return value out, the version that ran', async () => {
    const out = await lambda(shop).send(new InvokeCommand({ FunctionName: 'greet', Payload: JSON.stringify({ name: 'ada' }) }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    assert.deepEqual(decode(out.Payload), { greeting: 'hi ada' });
    assert.equal(out.ExecutedVersion, '1');
    const record = await n.client.getInvocation(out.$metadata.requestId!);
    assert.equal(record.app, 'shop');
    assert.equal(record.status, 'ok');
    const key = (await n.client.listKeys()).find((k) => k.name === 'sdk');
    assert.equal(key?.accessKeyId, shop.accessKeyId, 'the AWS credentials belong to the listed key');
    assert.notEqual(key?.lastUsedAt, null);
  });

  it('resolves <app>.<function>, an ARN with a qualifier, and $LATEST', async () => {
    const all = lambda(everyApp);
    const dotted = await all.send(new InvokeCommand({ FunctionName: 'blog.greet', Payload: JSON.stringify({ name: 'bo' }) }));
    assert.deepEqual(decode(dotted.Payload), { greeting: 'hi bo' });
    const arn = await all.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:shop.greet:1', Payload: JSON.stringify({ name: 'arn' }) }));
    assert.deepEqual(decode(arn.Payload), { greeting: 'hi arn' });
    const latest = await all.send(new InvokeCommand({ FunctionName: 'shop.greet', Qualifier: '$LATEST', Payload: '{"name":"l"}' }));
    assert.equal(latest.ExecutedVersion, '1');
    const noApp = await thrown(all.send(new InvokeCommand({ FunctionName: 'greet' })));
    assert.equal(noApp.name, 'ResourceNotFoundException', 'a key for every app must name the app');
  });

  it('runs an older version by number after a redeploy', async () => {
    await n.deploy({
      'nimbus.yaml': manifest('shop', { greet: { handler: 'src/greet.handler', memory: 256, timeout: 7 }, fail: { handler: 'src/fail.handler' } }),
      ...FILES,
      'src/greet.mjs': `export const handler = async (event) => ({ greeting: 'v2 ' + event.name });`,
    });
    const c = lambda(shop);
    const now = await c.send(new InvokeCommand({ FunctionName: 'greet', Payload: '{"name":"x"}' }));
    assert.deepEqual([decode(now.Payload), now.ExecutedVersion], [{ greeting: 'v2 x' }, '2']);
    const old = await c.send(new InvokeCommand({ FunctionName: 'greet', Qualifier: '1', Payload: '{"name":"x"}' }));
    assert.deepEqual([decode(old.Payload), old.ExecutedVersion], [{ greeting: 'hi x' }, '1']);
    await n.client.setAlias('shop', 'greet', 'stable', 1);
    const aliased = await c.send(new InvokeCommand({ FunctionName: 'greet', Qualifier: 'stable', Payload: '{"name":"x"}' }));
    assert.deepEqual([decode(aliased.Payload), aliased.ExecutedVersion], [{ greeting: 'hi x' }, '1'], 'the alias runs its version');
    const viaArn = await c.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:shop.greet:stable', Payload: '{"name":"y"}' }));
    assert.equal(viaArn.ExecutedVersion, '1');
    const event = await thrown(c.send(new InvokeCommand({ FunctionName: 'greet', Qualifier: '1', InvocationType: 'Event', Payload: '{}' })));
    assert.deepEqual([event.name, event.status], ['InvalidParameterValueException', 400], 'the queue delivers to the active version only');
  });

  it('invokes asynchronously: 202, then the queued event runs', async () => {
    const out = await lambda(shop).send(new InvokeCommand({ FunctionName: 'greet', InvocationType: 'Event', Payload: JSON.stringify({ name: 'later' }) }));
    assert.equal(out.StatusCode, 202);
    const id = out.$metadata.requestId!;
    const record = await eventually(
      async () => {
        const r = await n.client.getInvocation(id).catch(() => undefined);
        return r?.status === 'ok' && r;
      },
      15_000,
      'the async invocation record',
    );
    assert.equal(record.trigger, 'event');
    assert.equal(record.function, 'greet');
  });

  it('answers a dry run with 204 and runs nothing', async () => {
    const before = (await n.client.listInvocations('shop', 'greet')).length;
    const out = await lambda(shop).send(new InvokeCommand({ FunctionName: 'greet', InvocationType: 'DryRun' }));
    assert.equal(out.StatusCode, 204);
    assert.equal((await n.client.listInvocations('shop', 'greet')).length, before);
    const denied = await thrown(lambda(reader).send(new InvokeCommand({ FunctionName: 'shop.greet', InvocationType: 'DryRun' })));
    assert.deepEqual([denied.name, denied.status], ['AccessDeniedException', 403], 'a read key may not invoke');
  });

  it("returns the tail of the invocation's log with LogType Tail", async () => {
    const out = await lambda(everyApp).send(new InvokeCommand({ FunctionName: 'blog.greet', LogType: 'Tail', Payload: JSON.stringify({ name: 'tail-me' }) }));
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    assert.match(log, /greeting tail-me/);
    assert.match(log, /REPORT/);
  });

  it('reports a function error or timeout as Lambda does: 200, Unhandled, errorType and errorMessage', async () => {
    const out: InvokeCommandOutput = await lambda(shop).send(new InvokeCommand({ FunctionName: 'fail', Payload: '{}' }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    const body = decode(out.Payload) as { errorType: string; errorMessage: string; trace: unknown[] };
    assert.equal(body.errorType, 'TypeError');
    assert.equal(body.errorMessage, 'bad input here');
    assert.ok(Array.isArray(body.trace));
    const timedOut = await lambda(everyApp).send(new InvokeCommand({ FunctionName: 'blog.hang', Payload: '{}' }));
    assert.equal(timedOut.FunctionError, 'Unhandled');
    assert.equal((decode(timedOut.Payload) as { errorType: string }).errorType, 'Sandbox.Timedout');
  });

  it('answers an unknown function, version or alias with ResourceNotFoundException (404)', async () => {
    const c = lambda(shop);
    const e = await thrown(c.send(new InvokeCommand({ FunctionName: 'nope' })));
    assert.deepEqual([e.name, e.status], ['ResourceNotFoundException', 404]);
    const version = await thrown(c.send(new InvokeCommand({ FunctionName: 'greet', Qualifier: '9' })));
    assert.deepEqual([version.name, version.status], ['ResourceNotFoundException', 404]);
    const alias = await thrown(c.send(new InvokeCommand({ FunctionName: 'greet', Qualifier: 'live' })));
    assert.deepEqual([alias.name, alias.status], ['ResourceNotFoundException', 404], 'no alias named live');
  });

  it('refuses a wrong secret, an unknown access key and an unsigned request with 403', async () => {
    const wrong = await thrown(lambda({ ...shop, secretAccessKey: 'x'.repeat(40) }).send(new InvokeCommand({ FunctionName: 'greet' })));
    assert.deepEqual([wrong.name, wrong.status], ['InvalidSignatureException', 403]);
    const unknown = await thrown(lambda({ accessKeyId: 'NIMBAAAAAAAAAAAAAAAA', secretAccessKey: shop.secretAccessKey }).send(new InvokeCommand({ FunctionName: 'greet' })));
    assert.deepEqual([unknown.name, unknown.status], ['UnrecognizedClientException', 403]);
    const res = await fetch(`${n.adminUrl}/2015-03-31/functions/shop.greet/invocations`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    const body = (await res.json()) as { Type: string; message: string };
    assert.equal(body.Type, 'User');
    assert.ok(body.message.length > 0);
  });

  it('refuses a key limited to another app, whether the function exists or not', async () => {
    const c = lambda(blogOnly);
    const existing = await thrown(c.send(new InvokeCommand({ FunctionName: 'shop.greet' })));
    assert.deepEqual([existing.name, existing.status], ['AccessDeniedException', 403]);
    const missing = await thrown(c.send(new InvokeCommand({ FunctionName: 'shop.nothing' })));
    assert.deepEqual([missing.name, missing.status], ['AccessDeniedException', 403]);
    const own = await c.send(new InvokeCommand({ FunctionName: 'greet', Payload: '{"name":"b"}' }));
    assert.deepEqual(decode(own.Payload), { greeting: 'hi b' }, 'the one app of the key needs no prefix');
  });

  it('lists and describes functions with the fields clients read', async () => {
    const listed = await lambda(shop).send(new ListFunctionsCommand({}));
    assert.deepEqual(listed.Functions?.map((f) => f.FunctionName).sort(), ['shop.fail', 'shop.greet'], 'only the apps the key may see');
    const got = await lambda(reader).send(new GetFunctionCommand({ FunctionName: 'shop.greet', Qualifier: '1' }));
    const cfg = got.Configuration!;
    assert.equal(cfg.FunctionName, 'shop.greet');
    assert.equal(cfg.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:shop.greet');
    assert.equal(cfg.Version, '1');
    assert.match(cfg.Runtime ?? '', /^nodejs\d+\.x$/);
    assert.equal(cfg.Handler, 'src/greet.handler');
    assert.equal(cfg.MemorySize, 256);
    assert.equal(cfg.Timeout, 7);
    assert.ok(cfg.LastModified && !Number.isNaN(Date.parse(cfg.LastModified)));
  });

  it('answers a throttle with TooManyRequestsException (429) and a payload over 6 MB with RequestTooLargeException (413)', async () => {
    const c = lambda(everyApp);
    // concurrency 1, no queue wait: of three at once, one runs and two are throttled at once.
    const answers = await Promise.all(
      [1, 2, 3].map((i) =>
        c.send(new InvokeCommand({ FunctionName: 'blog.slow', Payload: JSON.stringify({ i }) })).then(
          (out) => String(out.StatusCode),
          (err: Error & { $metadata?: { httpStatusCode?: number } }) => `${err.name} ${err.$metadata?.httpStatusCode}`,
        ),
      ),
    );
    assert.deepEqual(answers.sort(), ['200', 'TooManyRequestsException 429', 'TooManyRequestsException 429']);
    const big = await thrown(c.send(new InvokeCommand({ FunctionName: 'blog.greet', Payload: JSON.stringify({ pad: 'x'.repeat(6 * 1024 * 1024) }) })));
    assert.deepEqual([big.name, big.status], ['RequestTooLargeException', 413]);
  });

  it('stores the secret access key sealed, and keeps it working across a master key rotation', async () => {
    for (const file of walk(n.dataDir)) {
      assert.ok(!readFileSync(file).includes(shop.secretAccessKey), `${file} holds the secret access key in plain text`);
    }
    await n.client.rotateMasterKey();
    const out = await lambda(shop).send(new InvokeCommand({ FunctionName: 'greet', InvocationType: 'DryRun' }));
    assert.equal(out.StatusCode, 204, 'resealed under the new master key');
  });

  it('refuses a revoked key from the next call on', async () => {
    const temp = await createAwsKey(['--name', 'sdk-temp', '--scope', 'invoke']);
    const c = lambda(temp);
    assert.equal((await c.send(new InvokeCommand({ FunctionName: 'shop.greet', InvocationType: 'DryRun' }))).StatusCode, 204);
    assert.equal((await runCli(['keys', 'revoke', 'sdk-temp'], { cwd: n.dataDir, env: { NIMBUS_URL: n.adminUrl, NIMBUS_KEY: n.adminKey } })).code, 0);
    const e = await thrown(c.send(new InvokeCommand({ FunctionName: 'shop.greet', InvocationType: 'DryRun' })));
    assert.deepEqual([e.name, e.status], ['UnrecognizedClientException', 403]);
  });
});

/**
 * What Lambda code assumes, run unchanged (issue 12, part 3): an AWS SDK v3 client built at module
 * load (it needs a home directory and a region), files written to `/tmp` directly, the REST API
 * (payload 1.0) event with headers as the client spelled them, Powertools' Logger and Metrics
 * (cold start, EMF lines becoming metrics of the function), and the environment Lambda sets,
 * without the node's own AWS credentials.
 */
import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, manifest, startTestNimbus, type TestNimbus } from './support/harness.js';

const SDK = `
import { LambdaClient } from '@aws-sdk/client-lambda';
import { homedir } from 'node:os';
// At module load, as the SAM and Serverless templates do.
const client = new LambdaClient({});
export const handler = async () => ({ region: await client.config.region(), home: homedir() });
`;

const TMP = `
import { writeFileSync, readFileSync, existsSync, readdirSync, realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
export const handler = async (event) => {
  const q = event.queryStringParameters ?? {};
  if (q.write) {
    writeFileSync('/tmp/x', q.write);
    await writeFile('/tmp/y.txt', 'promises:' + q.write);
    fs.mkdirSync('/tmp/dir/sub', { recursive: true });
    fs.appendFileSync('/tmp/dir/sub/log', 'a');
    fs.appendFileSync(new URL('file:///tmp/dir/sub/log'), 'b');
  }
  return {
    x: existsSync('/tmp/x') ? readFileSync('/tmp/x', 'utf8') : null,
    y: existsSync('/tmp/y.txt') ? await readFile('/tmp/y.txt', 'utf8') : null,
    log: existsSync('/tmp/dir/sub/log') ? fs.readFileSync('/tmp/dir/sub/log', 'utf8') : null,
    listing: readdirSync('/tmp').sort(),
    inOwnTmp: existsSync('/tmp/x') ? realpathSync('/tmp/x').startsWith(realpathSync(tmpdir())) : null,
  };
};
`;

const REST = `
export const handler = async (event) => ({
  statusCode: 201,
  headers: { 'Content-Type': 'application/json', 'X-Single': 'one' },
  multiValueHeaders: { 'X-Multi': ['a', 'b'] },
  body: JSON.stringify({
    path: event.path, resource: event.resource, httpMethod: event.httpMethod,
    signature: event.headers['X-Hub-Signature'], lowerSignature: event.headers['x-hub-signature'] ?? null,
    multi: event.multiValueHeaders['X-Repeat'],
    query: event.queryStringParameters, multiQuery: event.multiValueQueryStringParameters,
    pathParameters: event.pathParameters, stageVariables: event.stageVariables, body: event.body,
    isBase64Encoded: event.isBase64Encoded,
    requestContext: {
      resourcePath: event.requestContext.resourcePath, httpMethod: event.requestContext.httpMethod,
      sourceIp: event.requestContext.identity.sourceIp, requestId: event.requestContext.requestId,
      stage: event.requestContext.stage,
    },
  }),
});
`;

const ENV = `
export const handler = async () => {
  const e = process.env;
  const pick = (...keys) => Object.fromEntries(keys.map((k) => [k, e[k] ?? null]));
  return {
    ...pick('AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_REGION',
      'AWS_DEFAULT_REGION', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'LAMBDA_TASK_ROOT',
      'AWS_EXECUTION_ENV', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'TZ', 'HOME', 'AWS_LAMBDA_RUNTIME_API', 'MINE'),
    keys: Object.keys(e).sort(),
    offset: new Date(2026, 6, 1).getTimezoneOffset(),
  };
};
`;

const POWERTOOLS = `
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
const logger = new Logger({ serviceName: 'orders' });
const metrics = new Metrics({ namespace: 'shop', serviceName: 'orders' });
export const handler = async (event, context) => {
  logger.addContext(context);
  metrics.captureColdStartMetric();
  metrics.addMetric('ordersPlaced', MetricUnit.Count, 2);
  metrics.publishStoredMetrics();
  logger.info('order placed');
  return { statusCode: 200, body: 'ok' };
};
`;

type Json = Record<string, unknown>;

/** A request through node:http, which keeps header names as written (fetch lower-cases them). */
function rawRequest(url: string, method: string, headers: [string, string][], body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    // As an array, headers go out exactly as listed (repeats and case kept), Host included.
    const flat = [['Host', new URL(url).host], ...headers].flat();
    const req = request(url, { method, headers: flat }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Lambda runtime fidelity', () => {
  let n: TestNimbus;
  const saved = { secret: process.env['AWS_SECRET_ACCESS_KEY'], id: process.env['AWS_ACCESS_KEY_ID'] };
  before(async () => {
    // The node's own credentials: a function must never see them.
    process.env['AWS_SECRET_ACCESS_KEY'] = 'host-secret-must-not-leak';
    process.env['AWS_ACCESS_KEY_ID'] = 'AKIAHOSTMUSTNOTLEAK';
    n = await startTestNimbus({ region: 'eu-central-1' });
    const dir = await n.writeApp({
      'nimbus.yaml': manifest('fidelity', {
        sdk: { handler: 'src/sdk.handler', triggers: [{ http: 'GET /sdk' }] },
        tmp: { handler: 'src/tmp.handler', triggers: [{ http: 'GET /tmp' }] },
        other: { handler: 'src/tmp.handler', triggers: [{ http: 'GET /other-tmp' }] },
        rest: { handler: 'src/rest.handler', triggers: [{ http: 'POST /hooks/{source}', payload: '1.0' }] },
        v2: { handler: 'src/rest.handler', triggers: [{ http: 'POST /v2/{source}' }] },
        plainRest: { handler: 'src/plain.handler', triggers: [{ http: 'GET /plain-rest', payload: '1.0' }] },
        plainV2: { handler: 'src/plain.handler', triggers: [{ http: 'GET /plain-v2' }] },
        kept: { handler: 'src/env.handler', minInstances: 1, triggers: [{ http: 'GET /kept' }] },
        orders: { handler: 'src/powertools.handler', triggers: [{ http: 'POST /orders' }] },
        env: { handler: 'src/env.handler', memory: 256, env: { MINE: 'yes', AWS_DEFAULT_REGION: 'ap-south-1' }, triggers: [{ http: 'GET /env' }] },
      }),
      'src/sdk.mjs': SDK,
      'src/tmp.mjs': TMP,
      'src/rest.mjs': REST,
      'src/env.mjs': ENV,
      'src/powertools.mjs': POWERTOOLS,
      'src/plain.mjs': 'export const handler = async () => ({ hello: 1 });',
    });
    // The SDK is bundled from the repository's own node_modules (a dev dependency).
    await symlink(join(process.cwd(), 'node_modules'), join(dir, 'node_modules'));
    const { deployDir } = await import('../src/client/index.js');
    await deployDir(n.client, dir);
  });
  after(async () => {
    await n.close();
    for (const [k, v] of [
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ['AWS_ACCESS_KEY_ID', saved.id],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('(a) an AWS SDK v3 client built at module load works and resolves the node region', async () => {
    const res = await n.fetch('/sdk');
    const body = (await res.json()) as Json;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body['region'], 'eu-central-1');
    assert.equal(typeof body['home'], 'string');
  });

  it('(b) /tmp is writable, private to the instance and read back', async () => {
    const first = (await (await n.fetch('/tmp?write=hello')).json()) as Json;
    assert.equal(first['x'], 'hello');
    assert.equal(first['y'], 'promises:hello');
    assert.equal(first['log'], 'ab');
    assert.deepEqual(first['listing'], ['dir', 'x', 'y.txt']);
    assert.equal(first['inOwnTmp'], true);
    // The same warm instance still has it.
    const again = (await (await n.fetch('/tmp')).json()) as Json;
    assert.equal(again['x'], 'hello');
    // Another function's instance has its own, empty /tmp.
    const other = (await (await n.fetch('/other-tmp')).json()) as Json;
    assert.equal(other['x'], null);
    assert.deepEqual(other['listing'], []);
  });

  it('(c) a payload 1.0 route delivers the REST API event with headers as the client spelled them', async () => {
    const res = await rawRequest(
      `${n.gatewayUrl}/hooks/github?a=1&a=2&b=x`,
      'POST',
      [
        ['X-Hub-Signature', 'sha1=abc'],
        ['X-Repeat', 'one'],
        ['X-Repeat', 'two'],
        ['Content-Type', 'application/json'],
      ],
      '{"ok":true}',
    );
    assert.equal(res.status, 201, res.body);
    assert.equal(res.headers['x-single'], 'one');
    assert.equal(res.headers['x-multi'], 'a, b');
    const e = JSON.parse(res.body) as Json;
    assert.equal(e['path'], '/hooks/github');
    assert.equal(e['resource'], '/hooks/{source}');
    assert.equal(e['httpMethod'], 'POST');
    assert.equal(e['signature'], 'sha1=abc');
    assert.equal(e['lowerSignature'], null);
    assert.deepEqual(e['multi'], ['one', 'two']);
    assert.deepEqual(e['query'], { a: '2', b: 'x' });
    assert.deepEqual(e['multiQuery'], { a: ['1', '2'], b: ['x'] });
    assert.deepEqual(e['pathParameters'], { source: 'github' });
    assert.equal(e['stageVariables'], null);
    assert.equal(e['body'], '{"ok":true}');
    assert.equal(e['isBase64Encoded'], false);
    const rc = e['requestContext'] as Json;
    assert.equal(rc['resourcePath'], '/hooks/{source}');
    assert.equal(rc['httpMethod'], 'POST');
    assert.equal(rc['sourceIp'], '127.0.0.1');
    assert.equal(typeof rc['requestId'], 'string');
    assert.equal(rc['stage'], '$default');
    // The same handler on a 2.0 route gets the HTTP API event (no path, lower-case headers): it fails to read them.
    const v2 = await rawRequest(`${n.gatewayUrl}/v2/github`, 'POST', [['X-Hub-Signature', 'sha1=abc']], '{}');
    assert.equal(v2.status, 502);
  });

  it('(c) a payload 1.0 handler that returns no statusCode is a malformed response (502), as on API Gateway', async () => {
    const res = await rawRequest(`${n.gatewayUrl}/plain-rest`, 'GET', []);
    assert.equal(res.status, 502, res.body);
    // On a 2.0 route the same value is a 200 JSON body.
    const v2 = await n.fetch('/plain-v2');
    assert.equal(v2.status, 200);
    assert.deepEqual(await v2.json(), { hello: 1 });
  });

  it('(d) Powertools Logger and Metrics: cold start true then false, EMF metrics on /metrics and the metrics API', async () => {
    const coldStarts: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await n.fetch('/orders', { method: 'POST', body: '{}' });
      assert.equal(res.status, 200, await res.text());
      const id = res.headers.get('x-nimbus-invocation-id')!;
      const page = await n.client.logs('fidelity', 'orders', { invocation: id });
      const entry = page.lines.map((l) => l.line).find((l) => l.includes('"order placed"'));
      assert.ok(entry, `the Logger line of invocation ${id}: ${JSON.stringify(page.lines)}`);
      const parsed = JSON.parse(entry) as Json;
      assert.equal(parsed['function_name'], 'orders');
      assert.equal(parsed['function_request_id'], id);
      coldStarts.push(parsed['cold_start']);
    }
    assert.deepEqual(coldStarts, [true, false]);

    const scrape = await (await fetch(`${n.adminUrl}/metrics`, { headers: { authorization: `Bearer ${n.adminKey}` } })).text();
    const sample = (metric: string, name: string): number | undefined => {
      const m = new RegExp(`^${metric}\\{app="fidelity",function="orders",namespace="shop",name="${name}",unit="Count"\\} (\\S+)$`, 'm').exec(scrape);
      return m ? Number(m[1]) : undefined;
    };
    assert.equal(
      sample('nimbus_function_metric', 'ordersPlaced'),
      2,
      scrape
        .split('\n')
        .filter((l) => l.includes('function_metric'))
        .join('\n'),
    );
    assert.equal(sample('nimbus_function_metric_sum', 'ordersPlaced'), 4);
    assert.equal(sample('nimbus_function_metric_count', 'ordersPlaced'), 2);
    // Powertools' ColdStart metric: once, on the first invocation of the instance.
    assert.equal(sample('nimbus_function_metric_count', 'ColdStart'), 1);

    const api = await n.client.functionMetrics('fidelity', 'orders', { name: 'ordersPlaced', since: '1h' });
    assert.deepEqual(
      api.metrics.map((m) => [m.namespace, m.name, m.unit, m.count, m.sum, m.last]),
      [['shop', 'ordersPlaced', 'Count', 2, 4, 2]],
    );
    assert.equal(api.points?.length, 2);
    assert.equal(api.points?.[0]?.dimensions['service'], 'orders');
    const all = await n.client.functionMetrics('fidelity', 'orders');
    assert.deepEqual(all.metrics.map((m) => m.name).sort(), ['ColdStart', 'ordersPlaced']);
    assert.equal(all.points, undefined);
  });

  it('(e) the environment Lambda sets, the manifest env winning, and no host credentials', async () => {
    const res = await n.fetch('/env');
    const body = (await res.json()) as Json;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body['AWS_LAMBDA_FUNCTION_NAME'], 'env');
    assert.equal(body['AWS_LAMBDA_FUNCTION_VERSION'], '1');
    assert.equal(body['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'], '256');
    assert.equal(body['AWS_REGION'], 'eu-central-1');
    assert.equal(body['AWS_DEFAULT_REGION'], 'ap-south-1', 'the manifest env wins');
    assert.equal(body['AWS_LAMBDA_LOG_GROUP_NAME'], '/aws/lambda/fidelity-env');
    assert.match(String(body['AWS_LAMBDA_LOG_STREAM_NAME']), /^\d{4}\/\d{2}\/\d{2}\/\[1\][0-9a-f]{32}$/);
    assert.equal(typeof body['LAMBDA_TASK_ROOT'], 'string');
    assert.equal(body['AWS_EXECUTION_ENV'], 'AWS_Lambda_nodejs20.x');
    assert.equal(body['AWS_LAMBDA_INITIALIZATION_TYPE'], 'on-demand');
    assert.equal(body['TZ'], ':UTC');
    assert.equal(body['offset'], 0);
    assert.equal(body['MINE'], 'yes');
    assert.equal(typeof body['HOME'], 'string');
    assert.equal(body['AWS_LAMBDA_RUNTIME_API'], null);
    const keys = body['keys'] as string[];
    assert.ok(!keys.includes('AWS_SECRET_ACCESS_KEY') && !keys.includes('AWS_ACCESS_KEY_ID') && !keys.includes('AWS_SESSION_TOKEN'), keys.join(','));
    assert.ok(!JSON.stringify(body).includes('host-secret-must-not-leak'));
  });

  it('(e) an instance kept by minInstances is provisioned concurrency, as on Lambda', async () => {
    await eventually(async () => (await n.client.getFunction('fidelity', 'kept')).instances.idle === 1, 10_000, 'the kept instance');
    const body = (await (await n.fetch('/kept')).json()) as Json;
    assert.equal(body['AWS_LAMBDA_INITIALIZATION_TYPE'], 'provisioned-concurrency');
  });
});

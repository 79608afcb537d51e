import { strict as assert } from 'node:assert';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseManifest } from '../manifest/index.js';
import { NimbusError } from '../shared/errors.js';
import { importTemplate, manifestYaml } from './index.js';
import type { ImportResult } from './index.js';

let root: string;
let apps = 0;

async function app(files: Record<string, string>): Promise<string> {
  const dir = join(root, `app-${++apps}`);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

async function imported(yml: string, extra: Record<string, string> = {}, options: { env?: Record<string, string>; stage?: string } = {}): Promise<ImportResult> {
  const dir = await app({ 'serverless.yml': yml, 'handler.js': 'exports.hello = async () => ({})', ...extra });
  return importTemplate(join(dir, 'serverless.yml'), options);
}

const warnings = (r: ImportResult): string[] => r.warnings.map((w) => `${w.path}: ${w.message}`);

async function refusal(yml: string, extra: Record<string, string> = {}): Promise<string[]> {
  try {
    await imported(yml, extra);
  } catch (err) {
    assert.ok(err instanceof NimbusError);
    assert.equal(err.code, 'TEMPLATE_UNSUPPORTED');
    return (err.details as { issues: Array<{ path: string; message: string }> }).issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('the template was accepted');
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'nimbus-import-sls-'));
});
after(() => rm(root, { recursive: true, force: true }));

describe('serverless.yml import', () => {
  it('maps provider and function settings, and every event kind', async () => {
    const r = await imported(
      `service: Photo_Service
provider:
  name: aws
  runtime: nodejs20.x
  memorySize: 512
  timeout: 10
  environment: { SHARED: yes, LEVEL: 2 }
functions:
  hello:
    handler: src/api.handler
    memorySize: 1024
    reservedConcurrency: 5
    provisionedConcurrency: 2
    environment: { LEVEL: '3' }
    events:
      - httpApi: { path: '/users/{id}', method: '*' }
      - httpApi: 'POST /users'
      - http: { path: 'legacy/{proxy+}', method: any, cors: true }
      - schedule: cron(0 12 ? * MON-FRI *)
      - schedule: { rate: [rate(5 minutes), rate(1 hour)] }
      - schedule: { rate: rate(1 day), enabled: false }
      - eventBridge: { schedule: rate(10 minutes) }
      - sns: arn:aws:sns:us-east-1:123456789012:orders
      - sqs: { arn: arn:aws:sqs:us-east-1:123456789012:jobs, batchSize: 10, maximumBatchingWindow: 5 }
      - s3: { bucket: photos, event: 's3:ObjectRemoved:*', rules: [{ prefix: uploads/ }, { suffix: .jpg }] }
`,
      { 'src/api.ts': 'export const handler = async () => ({})' },
    );
    assert.equal(r.kind, 'serverless');
    assert.deepEqual(r.manifest, {
      app: 'photo-service',
      functions: {
        hello: {
          handler: 'src/api.handler',
          memory: 1024,
          timeout: 10,
          concurrency: 5,
          minInstances: 2,
          env: { SHARED: 'yes', LEVEL: '3' },
          triggers: [
            { http: 'ANY /users/{id}' },
            { http: 'POST /users' },
            { http: 'ANY /legacy/{proxy+}', payload: '1.0', cors: { origins: ['*'] } },
            { schedule: 'cron(0 12 ? * MON-FRI *)' },
            { schedule: 'rate(5 minutes)' },
            { schedule: 'rate(1 hour)' },
            { schedule: 'rate(10 minutes)' },
            { topic: 'orders', shape: 'sns' },
            { topic: 'jobs', batchSize: 10, maxBatchWindow: 5 },
            { bucket: 'photos', events: ['deleted'], prefix: 'uploads/', suffix: '.jpg' },
          ],
        },
      },
    });
    assert.deepEqual(warnings(r), [
      'service: "Photo_Service" is not a Nimbus app name (lower-case letters, digits, "-"): the app is named "photo-service"',
      'functions.hello.events[5].schedule.enabled: the schedule is disabled: left out',
      'functions.hello.events[8].sqs: the SQS queue becomes the Nimbus topic "jobs": publish to it with `nimbus publish` or a topic binding',
    ]);
    // What the import writes is a valid nimbus.yaml.
    const spec = parseManifest(manifestYaml(r));
    assert.equal(spec.functions['hello']?.triggers.length, 10);
  });

  it('maps the catch-all httpApi "*" to the root and {proxy+}', async () => {
    const r = await imported('service: s\nprovider: { name: aws, runtime: nodejs22.x }\nfunctions:\n  hello:\n    handler: handler.hello\n    events: [{ httpApi: "*" }]\n');
    assert.deepEqual(r.manifest.functions['hello']?.triggers, [{ http: 'ANY /' }, { http: 'ANY /{proxy+}' }]);
  });

  it('resolves self, env, opt:stage and sls:stage variables, and reports the others with their path', async () => {
    const yml = `service: \${self:custom.name}
custom:
  name: shop
  tables: { dev: t-dev, prod: t-prod }
provider:
  name: aws
  runtime: nodejs20.x
  stage: \${opt:stage, 'dev'}
  environment:
    STAGE: \${sls:stage}
    TABLE: \${self:custom.tables.\${sls:stage}}
    REGION: \${env:AWS_REGION}
    SECRET: \${ssm:/shop/secret}
    FALLBACK: \${ssm:/shop/x, 'plain'}
    MISSING: \${env:NOPE}
functions:
  hello:
    handler: handler.hello
    timeout: \${self:custom.timeout, 6}
`;
    const dev = await imported(yml, {}, { env: { AWS_REGION: 'eu-west-1' } });
    assert.equal(dev.manifest.app, 'shop');
    assert.deepEqual(dev.manifest.functions['hello'], {
      handler: 'handler.hello',
      timeout: 6,
      env: { STAGE: 'dev', TABLE: 't-dev', REGION: 'eu-west-1', SECRET: '', FALLBACK: 'plain', MISSING: '' },
    });
    assert.deepEqual(warnings(dev), [
      'provider.environment.SECRET: ${ssm:/shop/secret} could not be resolved (the source "ssm" is not supported (only self, env, opt:stage, sls:stage)): left empty; set the value in nimbus.yaml',
      'provider.environment.FALLBACK: ${ssm:/shop/x} cannot be read by Nimbus: the fallback "plain" is used',
      'provider.environment.MISSING: ${env:NOPE} could not be resolved (it has no value): left empty; set the value in nimbus.yaml',
    ]);
    const prod = await imported(yml, {}, { env: {}, stage: 'prod' });
    assert.equal(prod.manifest.functions['hello']?.env?.['STAGE'], 'prod');
    assert.equal(prod.manifest.functions['hello']?.env?.['TABLE'], 't-prod');
  });

  it('warns, with its key path, about everything that does not map', async () => {
    const r = await imported(`service: s
plugins: [serverless-offline]
provider:
  name: aws
  runtime: nodejs20.x
  region: eu-west-1
  iam: { role: { statements: [] } }
functions:
  hello:
    handler: handler.hello
    role: arn:aws:iam::123:role/x
    layers: [arn:aws:lambda:layer]
    vpc: { securityGroupIds: [sg-1] }
    events:
      - websocket: $connect
      - httpApi: { path: /x, method: get, authorizer: { name: jwt } }
      - eventBridge: { pattern: { source: [my.app] } }
      - s3: { bucket: photos, event: 's3:ObjectRestore:Completed' }
resources:
  Resources:
    Table: { Type: AWS::DynamoDB::Table }
`);
    assert.deepEqual(
      r.warnings.map((w) => w.path),
      [
        'plugins',
        'provider.region',
        'provider.iam',
        'functions.hello.role',
        'functions.hello.layers',
        'functions.hello.vpc',
        'functions.hello.events[0].websocket',
        'functions.hello.events[1].httpApi.authorizer',
        'functions.hello.events[2].eventBridge',
        'functions.hello.events[3].s3.event',
        'resources',
      ],
    );
    assert.equal(r.warnings.find((w) => w.path === 'functions.hello.role')?.message, 'IAM roles are not mapped: Nimbus functions reach only the resources their `bindings:` grant');
    assert.equal(r.warnings[0]?.line, 2);
    assert.deepEqual(r.manifest.functions['hello']?.triggers, [{ http: 'GET /x' }]);
  });

  it('resolves queues and buckets of resources.Resources by Ref and Fn::GetAtt', async () => {
    const r = await imported(`service: s
provider: { name: aws, runtime: nodejs20.x }
functions:
  worker:
    handler: handler.hello
    events:
      - sqs: { arn: { Fn::GetAtt: [JobsQueue, Arn] } }
      - s3: { bucket: { Ref: Uploads }, existing: true }
resources:
  Resources:
    JobsQueue: { Type: AWS::SQS::Queue, Properties: { QueueName: jobs-queue } }
    Uploads: { Type: AWS::S3::Bucket }
`);
    assert.deepEqual(r.manifest.functions['worker']?.triggers, [{ topic: 'jobs-queue' }, { bucket: 'uploads', events: ['created'] }]);
  });

  it('refuses non-Node runtimes and missing handler files, naming each key', async () => {
    assert.deepEqual(
      await refusal(`service: s
provider: { name: aws, runtime: python3.12 }
functions:
  a: { handler: handler.hello }
  b: { handler: lib/nope.main, runtime: java21 }
`),
      [
        'provider.runtime: runtime "python3.12" is not supported: Nimbus runs Node.js handlers only (nodejs18.x, nodejs20.x, nodejs22.x)',
        'functions.b.runtime: runtime "java21" is not supported: Nimbus runs Node.js handlers only (nodejs18.x, nodejs20.x, nodejs22.x)',
        'functions.b.handler: the handler file of "lib/nope.main" does not exist (tried lib/nope.ts, lib/nope.js, lib/nope.mjs, lib/nope.cjs)',
      ],
    );
    assert.deepEqual(await refusal('service: s\nprovider: { name: aws }\nfunctions: {}\n'), ['functions: defines no function: add one under `functions:`']);
    // Routes and schedules are checked at the template's key, not at a generated nimbus.yaml.
    const bad = await refusal('service: s\nfunctions:\n  hello:\n    handler: handler.hello\n    events:\n      - schedule: cron(0 12 * * * *)\n      - httpApi: GET /a//b\n');
    assert.equal(bad.length, 2);
    assert.match(bad[0] ?? '', /^functions\.hello\.events\[0\]\.schedule: "cron\(0 12 \* \* \* \*\)" must have "\?" in exactly one of/);
    assert.match(bad[1] ?? '', /^functions\.hello\.events\[1\]\.httpApi: path "\/a\/\/b" .* has an empty segment/);
  });

  it('finds .mjs and .ts handler files', async () => {
    const r = await imported('service: s\nfunctions:\n  a: { handler: src/a.main }\n  b: { handler: src/b.main }\n', { 'src/a.mjs': 'export const main = 1', 'src/b.ts': 'export const main = 1' });
    assert.deepEqual(Object.keys(r.manifest.functions), ['a', 'b']);
  });
});

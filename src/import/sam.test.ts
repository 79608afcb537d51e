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

async function imported(template: string, extra: Record<string, string> = {}): Promise<ImportResult> {
  const dir = join(root, `sam-app-${++apps}`);
  const files = { 'template.yaml': template, 'src/app.mjs': 'export const handler = async () => ({})', ...extra };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return importTemplate(join(dir, 'template.yaml'));
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'nimbus-import-sam-'));
});
after(() => rm(root, { recursive: true, force: true }));

const FULL = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: { Type: String, Default: dev }
  Memory: { Type: Number, Default: 256 }
Globals:
  Function:
    Runtime: nodejs20.x
    Timeout: 10
    MemorySize: !Ref Memory
    Environment:
      Variables: { STAGE: !Ref Stage, SHARED: 'yes' }
Resources:
  Photos:
    Type: AWS::S3::Bucket
    Properties: { BucketName: !Sub 'photos-\${Stage}' }
  Orders:
    Type: AWS::SNS::Topic
  Jobs:
    Type: AWS::SQS::Queue
    Properties: { QueueName: jobs }
  Table:
    Type: AWS::DynamoDB::Table
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      ReservedConcurrentExecutions: 4
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 1 }
      Policies: [AmazonDynamoDBFullAccess]
      Environment:
        Variables:
          TABLE: !Ref Table
          QUEUE_ARN: !GetAtt Jobs.Arn
          GREETING: !Join ['-', [hello, !Ref Stage]]
          ACCOUNT: !Ref AWS::AccountId
      Events:
        Rest: { Type: Api, Properties: { Path: '/items/{id}', Method: any } }
        Http: { Type: HttpApi, Properties: { Path: /v2, Method: post } }
        Nightly: { Type: Schedule, Properties: { Schedule: 'cron(0 2 * * ? *)' } }
        Paris: { Type: ScheduleV2, Properties: { ScheduleExpression: 'cron(0 9 ? * MON *)', ScheduleExpressionTimezone: Europe/Paris } }
        Off: { Type: Schedule, Properties: { Schedule: 'rate(1 hour)', Enabled: false } }
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Photos
            Events: s3:ObjectCreated:*
            Filter: { S3Key: { Rules: [{ Name: prefix, Value: in/ }, { Name: suffix, Value: .png }] } }
        Notify: { Type: SNS, Properties: { Topic: !Ref Orders } }
        Work: { Type: SQS, Properties: { Queue: !GetAtt Jobs.Arn, BatchSize: 5 } }
        Stream: { Type: DynamoDB, Properties: { Stream: x } }
Outputs:
  Url: { Value: !Sub 'https://\${ServerlessRestApi}.execute-api.\${AWS::Region}.amazonaws.com/Prod/' }
`;

describe('SAM template import', () => {
  it('maps functions with Globals, parameters, intrinsics and every event type', async () => {
    const r = await imported(FULL);
    assert.equal(r.kind, 'sam');
    assert.match(r.manifest.app, /^sam-app-\d+$/);
    assert.deepEqual(r.manifest.functions['Api'], {
      handler: 'src/app.handler',
      memory: 256,
      timeout: 10,
      concurrency: 4,
      minInstances: 1,
      env: { STAGE: 'dev', SHARED: 'yes', QUEUE_ARN: 'arn:aws:sqs:local:000000000000:jobs', GREETING: 'hello-dev' },
      triggers: [
        { http: 'ANY /items/{id}', payload: '1.0' },
        { http: 'POST /v2' },
        { schedule: 'cron(0 2 * * ? *)' },
        { schedule: 'cron(0 9 ? * MON *)', timezone: 'Europe/Paris' },
        { bucket: 'photos-dev', events: ['created'], prefix: 'in/', suffix: '.png' },
        { topic: 'orders', shape: 'sns' },
        { topic: 'jobs', batchSize: 5 },
      ],
    });
    assert.deepEqual(
      r.warnings.map((w) => `${w.path}: ${w.message}`),
      [
        'Resources.Table: AWS::DynamoDB::Table is not mapped: has no Nimbus equivalent',
        'Resources.Api.Properties.Policies: IAM policies are not mapped: Nimbus functions reach only the resources their `bindings:` grant',
        'Resources.Api.Properties.Environment.Variables.TABLE: Table (AWS::DynamoDB::Table) has no Nimbus equivalent: left out',
        'Resources.Api.Properties.Environment.Variables.ACCOUNT: the pseudo parameter AWS::AccountId has no value on Nimbus: left out',
        'Resources.Api.Properties.Events.Off.Properties: the schedule is disabled: left out',
        'Resources.Api.Properties.Events.Work.Properties: the SQS queue becomes the Nimbus topic "jobs": publish to it with `nimbus publish` or a topic binding',
        'Resources.Api.Properties.Events.Stream.Type: DynamoDB events are not mapped: Nimbus triggers are HTTP routes, schedules, topics, buckets and webhooks',
        'Outputs: Outputs are not mapped: `nimbus deploy` prints the routes',
      ],
    );
    const spec = parseManifest(manifestYaml(r));
    assert.equal(spec.functions['Api']?.triggers.length, 7);
  });

  it('names the app after samconfig.toml, and maps an HttpApi without a path to the catch-all', async () => {
    const r = await imported(
      `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: ./src, Handler: app.handler, Runtime: nodejs22.x, Events: { All: { Type: HttpApi, Properties: { PayloadFormatVersion: '1.0' } } } }
`,
      { 'samconfig.toml': 'version = 0.1\n[default.deploy.parameters]\nstack_name = "my-stack"\n' },
    );
    assert.equal(r.manifest.app, 'my-stack');
    assert.deepEqual(r.manifest.functions['Fn']?.triggers, [
      { http: 'ANY /', payload: '1.0' },
      { http: 'ANY /{proxy+}', payload: '1.0' },
    ]);
    assert.deepEqual(r.warnings, []);
  });

  it('refuses what cannot work before anything happens: other runtimes, images, inline code, missing handler files', async () => {
    const template = `Resources:
  Py: { Type: AWS::Serverless::Function, Properties: { CodeUri: src/, Handler: app.handler, Runtime: python3.12 } }
  Img: { Type: AWS::Serverless::Function, Properties: { PackageType: Image, ImageUri: x } }
  Inline: { Type: AWS::Serverless::Function, Properties: { InlineCode: 'exports.h = 1', Handler: index.h, Runtime: nodejs20.x } }
  Gone: { Type: AWS::Serverless::Function, Properties: { CodeUri: lambda/, Handler: index.handler, Runtime: nodejs20.x } }
`;
    await assert.rejects(imported(template), (err: unknown) => {
      assert.ok(err instanceof NimbusError);
      assert.equal(err.code, 'TEMPLATE_UNSUPPORTED');
      const issues = (err.details as { issues: Array<{ path: string; line: number }> }).issues;
      assert.deepEqual(
        issues.map((i) => i.path),
        ['Resources.Py.Properties.Runtime', 'Resources.Img.Properties.PackageType', 'Resources.Inline.Properties.InlineCode', 'Resources.Gone.Properties.Handler'],
      );
      assert.match(err.message, /template\.yaml:2:\d+ Resources\.Py\.Properties\.Runtime: runtime "python3\.12" is not supported/);
      assert.match(err.message, /nothing was changed/);
      return true;
    });
  });
});

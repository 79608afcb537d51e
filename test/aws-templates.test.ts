/**
 * serverless.yml and SAM templates deploy as they are: the official quick-starts (Serverless
 * `aws-node-http-api`, SAM `hello-world`) written as their generators write them, deployed with
 * the real CLI and called over HTTP; `nimbus import` output re-deploys without a new version; a
 * template that cannot work (a Python runtime) is refused before anything changes.
 */
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli/run-cli.js';
import { startTestNimbus, type TestNimbus } from './support/harness.js';

const SERVERLESS_YML = `# "org" ensures this Service is used with the correct Serverless Framework Access Key.
org: myorg
# "app" enables Serverless Framework Dashboard features and sharing them with other Services.
app: myapp
# "service" is the name of this project. This will also be added to your AWS resource names.
service: aws-node-http-api

provider:
  name: aws
  runtime: nodejs20.x

functions:
  hello:
    handler: handler.hello
    events:
      - httpApi:
          path: /
          method: get
`;

const HANDLER_JS = `exports.hello = async (event) => {
  return {
    statusCode: 200,
    body: JSON.stringify({
      message: "Go Serverless v4! Your function executed successfully!",
      method: event.requestContext.http.method,
    }),
  };
};
`;

const TEMPLATE_YAML = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: >
  sam-app

  Sample SAM Template for sam-app

# More info about Globals: https://github.com/awslabs/serverless-application-model/blob/master/docs/globals.rst
Globals:
  Function:
    Timeout: 3

Resources:
  HelloWorldFunction:
    Type: AWS::Serverless::Function # More info about Function Resource: https://github.com/awslabs/serverless-application-model/blob/master/versions/2016-10-31.md#awsserverlessfunction
    Properties:
      CodeUri: hello-world/
      Handler: app.lambdaHandler
      Runtime: nodejs20.x
      Architectures:
        - x86_64
      Events:
        HelloWorld:
          Type: Api # More info about API Event Source: https://github.com/awslabs/serverless-application-model/blob/master/versions/2016-10-31.md#api
          Properties:
            Path: /hello
            Method: get

Outputs:
  # ServerlessRestApi is an implicit API created by SAM
  HelloWorldApi:
    Description: "API Gateway endpoint URL for Prod stage for Hello World function"
    Value: !Sub "https://\${ServerlessRestApi}.execute-api.\${AWS::Region}.amazonaws.com/Prod/hello/"
  HelloWorldFunction:
    Description: "Hello World Lambda Function ARN"
    Value: !GetAtt HelloWorldFunction.Arn
  HelloWorldFunctionIamRole:
    Description: "Implicit IAM Role created for Hello World function"
    Value: !GetAtt HelloWorldFunctionRole.Arn
`;

const APP_MJS = `export const lambdaHandler = async (event, context) => {
    const response = {
      statusCode: 200,
      body: JSON.stringify({
        message: 'hello world',
      })
    };

    return response;
  };
`;

describe('AWS templates: serverless.yml and SAM template.yaml deploy as they are', () => {
  let n: TestNimbus;
  let env: Record<string, string>;
  const cli = (args: string[], cwd: string) => runCli(args, { cwd, env });

  before(async () => {
    n = await startTestNimbus();
    env = { NIMBUS_URL: n.adminUrl, NIMBUS_KEY: n.adminKey };
  });
  after(() => n.close());

  it('deploys the Serverless aws-node-http-api quick-start with `nimbus deploy`, printing what does not map', async () => {
    const dir = await n.writeApp({ 'serverless.yml': SERVERLESS_YML, 'handler.js': HANDLER_JS });
    const r = await cli(['deploy'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployed app aws-node-http-api/);
    assert.match(r.stdout, /GET \/\s+→ hello/);
    assert.match(r.stderr, /warning: serverless\.yml:2:6 org: Serverless Dashboard settings are not used/);
    const res = await n.fetch('/');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { message: 'Go Serverless v4! Your function executed successfully!', method: 'GET' });
  });

  it('deploys the SAM hello-world template, whose Api event is a REST (v1) route', async () => {
    const dir = await n.writeApp({ 'template.yaml': TEMPLATE_YAML, 'hello-world/app.mjs': APP_MJS, 'hello-world/package.json': '{"name":"hello_world","version":"1.0.0","main":"app.js"}' });
    const r = await cli(['deploy', dir], n.dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /GET \/hello\s+→ HelloWorldFunction/);
    assert.match(r.stderr, /Resources\.HelloWorldFunction\.Properties\.Architectures: the architecture is the Nimbus node's own/);
    assert.match(r.stderr, /Outputs: Outputs are not mapped/);
    const res = await n.fetch('/hello');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { message: 'hello world' });
    const fn = await n.client.getFunction(r.stdout.match(/deployed app (\S+)/)?.[1] ?? '', 'HelloWorldFunction');
    assert.deepEqual(fn.config.triggers, [{ type: 'http', method: 'GET', path: '/hello', payload: '1.0' }]);
  });

  it('writes the equivalent nimbus.yaml with `nimbus import`, which re-deploys without a new version', async () => {
    const dir = await n.writeApp({ 'serverless.yml': SERVERLESS_YML.replace('aws-node-http-api', 'imported-api').replace('path: /', 'path: /imported'), 'handler.js': HANDLER_JS });
    const first = await cli(['deploy', '--json'], dir);
    assert.equal(first.code, 0, first.stderr);
    const imported = await cli(['import', 'serverless.yml'], dir);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /wrote nimbus\.yaml \(app imported-api, 1 function\(s\), 2 warning\(s\)\)/);
    const yaml = await readFile(join(dir, 'nimbus.yaml'), 'utf8');
    assert.match(yaml, /^# Generated by `nimbus import` from serverless\.yml/);
    assert.match(yaml, /#\s+serverless\.yml:2:6 org: Serverless Dashboard settings are not used/);
    const again = await cli(['deploy', '--json'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, '', 'nimbus.yaml is read now, not the template');
    const functions = (JSON.parse(again.stdout) as { functions: Array<{ name: string; version: number; created: boolean }> }).functions;
    assert.deepEqual(functions, [{ ...functions[0], name: 'hello', version: 1, created: false }]);
    assert.equal((await n.fetch('/imported')).status, 200);
    const twice = await cli(['import', 'serverless.yml'], dir);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /nimbus\.yaml exists: pass --force/);
  });

  it('refuses a template that cannot work, naming the key, before anything is deployed', async () => {
    const python = SERVERLESS_YML.replace('aws-node-http-api', 'py-service').replace('nodejs20.x', 'python3.12').replace('handler.hello', 'missing.hello');
    const dir = await n.writeApp({ 'serverless.yml': python, 'handler.py': 'def hello(event, context):\n  return {}\n' });
    const r = await cli(['deploy'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /TEMPLATE_UNSUPPORTED/);
    assert.match(r.stderr, /serverless\.yml:10:12 provider\.runtime: runtime "python3\.12" is not supported/);
    assert.match(r.stderr, /functions\.hello\.handler: the handler file of "missing\.hello" does not exist/);
    assert.equal((await n.client.listApps()).filter((a) => a.app === 'py-service').length, 0);
  });
});

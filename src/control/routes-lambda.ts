/**
 * The AWS Lambda API (issue 12) at AWS's own paths, so `@aws-sdk/client-lambda` pointed at the
 * admin port works: Invoke, ListFunctions, GetFunction. These routes authenticate with AWS
 * Signature Version 4 (a key created with `--aws`), not the bearer key, and answer errors in AWS's
 * shape (`x-amzn-ErrorType`); the handlers live in lambda-api/.
 */
import { z } from 'zod';
import { getFunction, listFunctions } from './lambda-api/read.js';
import { lambdaInvoke } from './lambda-api/invoke.js';
import { raw, route } from './table.js';

const qualifier = z.object({ Qualifier: z.string().optional().describe('a version number, $LATEST (the active version) or an alias') });
const AWS_AUTH = 'Authenticated with AWS Signature Version 4 (credentials from `nimbus keys create --aws`), not the bearer key; errors are AWS-shaped: `x-amzn-ErrorType` and `{"Type", "message"}`.';

export const lambdaRoutes = [
  route({
    method: 'POST',
    path: '/2015-03-31/functions/{FunctionName}/invocations',
    summary: 'Lambda Invoke: run a function as the AWS SDK asks (RequestResponse, Event, DryRun)',
    description: `${AWS_AUTH} FunctionName: \`<app>.<function>\`, the function alone for a key limited to one app, or an ARN.`,
    auth: 'sigv4',
    scope: 'invoke',
    app: 'none',
    query: qualifier,
    body: raw('application/json', 'the event (any JSON)'),
    headers: [
      { name: 'X-Amz-Invocation-Type', description: 'RequestResponse (default), Event (202, queued) or DryRun (204)', schema: { type: 'string', enum: ['RequestResponse', 'Event', 'DryRun'] } },
      { name: 'X-Amz-Log-Type', description: 'Tail: the last 4 KB of the logs, base64, in X-Amz-Log-Result', schema: { type: 'string', enum: ['None', 'Tail'] } },
    ],
    response: raw('application/json', "the handler's return value as JSON; a function error is 200 with X-Amz-Function-Error and {errorType, errorMessage, trace}", {
      'X-Amz-Executed-Version': { description: 'the version that ran', schema: { type: 'string' } },
      'X-Amz-Function-Error': { description: 'Unhandled when the function failed', schema: { type: 'string' } },
      'X-Amz-Log-Result': { description: 'with X-Amz-Log-Type: Tail', schema: { type: 'string' } },
    }),
    errors: [],
    handle: async ({ deps, req, res, params, query }) => lambdaInvoke(deps, req, res, params['FunctionName']!, query.Qualifier),
  }),
  route({
    method: 'GET',
    path: '/2015-03-31/functions',
    summary: 'Lambda ListFunctions: the active version of every function the key may see',
    description: AWS_AUTH,
    auth: 'sigv4',
    scope: ['read', 'invoke'],
    app: 'none',
    query: z.object({ Marker: z.string().optional().describe('NextMarker of the previous page'), MaxItems: z.string().optional().describe('1 to 50 (default 50)') }),
    response: raw('application/json', '{Functions: [FunctionConfiguration], NextMarker?}'),
    errors: [],
    handle: async ({ deps, req, res, query }) => listFunctions(deps, req, res, query),
  }),
  route({
    method: 'GET',
    path: '/2015-03-31/functions/{FunctionName}',
    summary: "Lambda GetFunction: a function version's configuration",
    description: AWS_AUTH,
    auth: 'sigv4',
    scope: ['read', 'invoke'],
    app: 'none',
    query: qualifier,
    response: raw('application/json', '{Configuration: FunctionConfiguration, Code, Tags}'),
    errors: [],
    handle: async ({ deps, req, res, params, query }) => getFunction(deps, req, res, params['FunctionName']!, query.Qualifier),
  }),
];

/**
 * The OpenAPI 3.1 description of the control API, served at `GET /v1/openapi.json`.
 * It mirrors docs/control-api.md; error codes come from ERROR_STATUS so the two cannot drift.
 */
import { z } from 'zod';
import { functionConfigSchema } from '../manifest/index.js';
import { ERROR_STATUS, type ErrorCode } from '../shared/errors.js';
import { storageOpenApi } from './openapi-storage.js';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const obj = (properties: Record<string, Schema>, optional: string[] = []): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
});
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const epochMs: Schema = { type: 'integer', description: 'epoch milliseconds' };
const nullable = (s: Schema): Schema => ({ oneOf: [s, { type: 'null' }] });
const arrayOf = (s: Schema): Schema => ({ type: 'array', items: s });
const json = (schema: Schema) => ({ content: { 'application/json': { schema } } });

function ok(description: string, schema: Schema) {
  return { description, ...json(schema) };
}

/** Error answers grouped by status, each naming the codes it may carry. */
function errors(...codes: ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of ['UNAUTHORIZED', 'BAD_REQUEST', ...codes] as ErrorCode[]) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])]);
  }
  const answers = [...byStatus].map(([status, list]): [string, unknown] => [String(status), { description: list.join(', '), ...json(ref('Error')) }]);
  answers.push(['default', { description: 'any other error, e.g. INTERNAL', ...json(ref('Error')) }]);
  return Object.fromEntries(answers);
}

const param = (name: string, description: string, schema: Schema = str, where: 'path' | 'query' = 'path') => ({
  name,
  in: where,
  required: where === 'path',
  description,
  schema,
});
const appParam = param('app', 'app name');
const fnParam = param('fn', 'function name');
const storage = storageOpenApi({ ref, obj, arrayOf, json, ok, errors, param, str, int, epochMs });

/** Generated from the zod schema the server validates deploys with, so the two cannot drift. */
const functionConfig = jsonSchemaOf(functionConfigSchema);

function jsonSchemaOf(schema: z.ZodType): Schema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
  return rest;
}

const schemas: Record<string, Schema> = {
  Error: obj({
    error: obj(
      {
        code: { enum: Object.keys(ERROR_STATUS) },
        message: str,
        details: { type: 'object', description: 'e.g. issues: [{path, line?, column?, message}]' },
        invocationId: { type: 'string', description: 'set when an invocation failed' },
      },
      ['details', 'invocationId'],
    ),
  }),
  FunctionConfig: functionConfig,
  AppSpec: obj(
    {
      app: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' },
      routes: obj({ host: str, basePath: str }, ['host', 'basePath']),
      stage: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'set by `nimbus deploy --stage`: the app is <base app>-<stage>' },
      shared: obj({ topics: arrayOf(str), buckets: arrayOf(str), kv: arrayOf(str) }, ['topics', 'buckets', 'kv']),
      functions: { type: 'object', minProperties: 1, additionalProperties: ref('FunctionConfig') },
    },
    ['routes', 'stage', 'shared'],
  ),
  DeployRequest: obj({
    spec: ref('AppSpec'),
    bundles: {
      type: 'object',
      description: 'one bundled ESM module per function of the spec',
      additionalProperties: obj({ code: str }),
    },
  }),
  DeployResult: obj({
    app: str,
    functions: arrayOf(obj({ name: str, version: int, created: { type: 'boolean', description: 'false: unchanged, no new version' } })),
    removed: arrayOf(str),
  }),
  AppSummary: obj({ app: str, functions: int, createdAt: epochMs, updatedAt: epochMs }),
  FunctionView: obj({
    app: str,
    name: str,
    activeVersion: int,
    latestVersion: int,
    createdAt: epochMs,
    updatedAt: epochMs,
    codeSize: { type: 'integer', description: 'bytes' },
    config: ref('FunctionConfig'),
    routes: arrayOf({ type: 'string', examples: ['GET /hello/{name}'] }),
    instances: obj({ total: int, busy: int, idle: int }),
  }),
  Version: obj({ version: int, hash: str, codeSize: int, createdAt: epochMs, active: bool, config: ref('FunctionConfig') }),
  InvocationRecord: obj({
    id: str,
    app: str,
    function: str,
    version: int,
    trigger: { enum: ['http', 'api', 'event', 'schedule', 'topic', 'webhook', 'bucket'] },
    startedAt: epochMs,
    durationMs: { type: 'number' },
    billedMs: int,
    memoryMb: int,
    maxMemoryMb: nullable({ type: 'number' }),
    coldStart: bool,
    initMs: nullable({ type: 'number' }),
    status: { enum: ['ok', 'error', 'timeout', 'oom', 'crashed', 'throttled', 'cancelled'] },
    errorCode: nullable(str),
    errorMessage: nullable(str),
    httpStatus: nullable(int),
  }),
  DeadEvent: obj({
    id: str,
    source: { enum: ['invoke', 'schedule', 'topic', 'webhook', 'bucket', 'destination'] },
    shape: { enum: ['invoke', 'scheduled', 'queue'] },
    origin: { type: 'string', description: "topic, bucket, webhook path or schedule; '' for an async invoke" },
    payload: { description: 'the event as queued (any JSON)' },
    attempts: int,
    maxAttempts: int,
    createdAt: epochMs,
    expiresAt: epochMs,
    lastError: nullable(str),
    deadAt: epochMs,
    reason: { type: 'string', examples: ['RetriesExhausted after 3 attempt(s): FUNCTION_ERROR: boom'] },
  }),
  LogLine: obj({
    seq: int,
    invocationId: nullable(str),
    ts: epochMs,
    stream: { enum: ['stdout', 'stderr', 'system'] },
    line: str,
  }),
  ...storage.schemas,
};

const deleted = ok('deleted', obj({ deleted: { const: true } }));

const paths = {
  '/healthz': {
    get: {
      summary: 'liveness, and the isolation layers this node applies',
      security: [],
      responses: {
        '200': ok(
          'up',
          obj(
            {
              ok: { const: true },
              isolation: {
                type: 'object',
                description: 'mode (auto, strict, off), root, and one entry per layer: name, ok, detail',
                properties: { mode: { type: 'string' }, root: { type: 'boolean' }, layers: { type: 'array', items: { type: 'object' } } },
              },
            },
            ['isolation'],
          ),
        ),
      },
    },
  },
  '/v1/openapi.json': {
    get: { summary: 'this document', responses: { '200': ok('OpenAPI 3.1 document', { type: 'object' }), ...errors() } },
  },
  '/v1/apps': {
    get: { summary: 'list apps', responses: { '200': ok('apps', obj({ apps: arrayOf(ref('AppSummary')) })), ...errors() } },
  },
  '/v1/apps/{app}': {
    parameters: [appParam],
    put: {
      summary: "deploy an app: the spec becomes the app's whole set of functions",
      description: 'Functions whose code and config are unchanged keep their version; functions missing from the spec are deleted.',
      requestBody: { required: true, ...json(ref('DeployRequest')) },
      responses: { '200': ok('deployed', ref('DeployResult')), ...errors('MANIFEST_INVALID', 'ROUTE_CONFLICT', 'RESOURCE_CONFLICT') },
    },
    delete: { summary: 'delete an app and all its functions', responses: { '200': deleted, ...errors('APP_NOT_FOUND') } },
  },
  '/v1/functions': {
    get: {
      summary: 'list the functions of every app',
      responses: { '200': ok('functions', obj({ functions: arrayOf(ref('FunctionView')) })), ...errors() },
    },
  },
  '/v1/apps/{app}/functions': {
    parameters: [appParam],
    get: {
      summary: "list an app's functions",
      responses: { '200': ok('functions', obj({ functions: arrayOf(ref('FunctionView')) })), ...errors() },
    },
  },
  '/v1/apps/{app}/functions/{fn}': {
    parameters: [appParam, fnParam],
    get: {
      summary: 'describe a function',
      responses: { '200': ok('the function', ref('FunctionView')), ...errors('FUNCTION_NOT_FOUND') },
    },
    delete: { summary: 'delete a function and its versions', responses: { '200': deleted, ...errors('FUNCTION_NOT_FOUND') } },
  },
  '/v1/apps/{app}/functions/{fn}/versions': {
    parameters: [appParam, fnParam],
    get: {
      summary: "list a function's versions, oldest first",
      responses: { '200': ok('versions', obj({ versions: arrayOf(ref('Version')) })), ...errors('FUNCTION_NOT_FOUND') },
    },
  },
  '/v1/apps/{app}/functions/{fn}/rollback': {
    parameters: [appParam, fnParam],
    post: {
      summary: 'activate an earlier version (default: the one before the active version)',
      requestBody: { required: false, ...json(obj({ to: { type: 'integer', minimum: 1 } }, ['to'])) },
      responses: {
        '200': ok('the function, now serving that version', ref('FunctionView')),
        ...errors('FUNCTION_NOT_FOUND', 'VERSION_NOT_FOUND'),
      },
    },
  },
  '/v1/apps/{app}/functions/{fn}/invoke': {
    parameters: [appParam, fnParam],
    post: {
      summary: 'run the active version with the body as the event: synchronously, or queued with X-Nimbus-Invocation-Type: Event',
      description:
        'Lambda style: 200 and the return value as JSON. ' +
        'Web style: fetch gets POST http://invoke.nimbus/ with the event as JSON body; ' +
        'the answer carries its status, headers and body. Failures carry `invocationId` inside `error`. ' +
        'Async (`X-Nimbus-Invocation-Type: Event`): 202 once the event is durable; delivered at least once ' +
        "with the function's retries, maxEventAge and destinations; body up to 1 MB.",
      parameters: [
        { name: 'X-Nimbus-Invocation-Type', in: 'header', required: false, schema: { enum: ['RequestResponse', 'Event'] }, description: 'Event = async (default RequestResponse)' },
        { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 256 }, description: 'async only: the same key within 24 h returns the first invocation id' },
      ],
      requestBody: { required: false, ...json({ description: 'the event: any JSON' }) },
      responses: {
        '200': {
          description: "the function's answer",
          headers: { 'X-Nimbus-Invocation-Id': { schema: str } },
          content: { '*/*': { schema: {} } },
        },
        '202': {
          description: 'async: the event is queued durably',
          headers: { 'X-Nimbus-Invocation-Id': { schema: str } },
          ...json(obj({ invocationId: str, duplicate: { type: 'boolean', description: 'the Idempotency-Key was already used' } })),
        },
        ...errors(
          'FUNCTION_NOT_FOUND',
          'PAYLOAD_TOO_LARGE',
          'THROTTLED',
          'FUNCTION_ERROR',
          'FUNCTION_INIT_ERROR',
          'FUNCTION_OOM',
          'FUNCTION_CRASHED',
          'RESPONSE_TOO_LARGE',
          'INVALID_RESPONSE',
          'SHUTTING_DOWN',
          'FUNCTION_TIMEOUT',
        ),
      },
    },
  },
  '/v1/apps/{app}/functions/{fn}/dlq': {
    parameters: [appParam, fnParam],
    get: {
      summary: "the function's dead-lettered events, most recent first",
      parameters: [param('limit', 'at most this many (default 100, max 1000)', { type: 'integer', minimum: 1, maximum: 1000 }, 'query')],
      responses: { '200': ok('dead events', obj({ events: arrayOf(ref('DeadEvent')) })), ...errors() },
    },
  },
  '/v1/apps/{app}/functions/{fn}/dlq/redrive': {
    parameters: [appParam, fnParam],
    post: {
      summary: 'queue dead-lettered events again (all, or one by id) with attempts reset and a fresh maxEventAge',
      requestBody: { required: false, ...json(obj({ id: str }, ['id'])) },
      responses: { '200': ok('how many were queued again', obj({ redriven: int })), ...errors('FUNCTION_NOT_FOUND', 'EVENT_NOT_FOUND') },
    },
  },
  '/v1/apps/{app}/functions/{fn}/queue': {
    parameters: [appParam, fnParam],
    get: {
      summary: 'events waiting for or in delivery to the function',
      responses: { '200': ok('queue depth', obj({ depth: int })), ...errors() },
    },
  },
  '/v1/apps/{app}/functions/{fn}/invocations': {
    parameters: [appParam, fnParam],
    get: {
      summary: 'invocation records, newest first',
      parameters: [
        param('limit', 'at most this many (default 50, max 1000)', { type: 'integer', minimum: 1, maximum: 1000 }, 'query'),
        param('before', 'only records started before this epoch ms (paging)', int, 'query'),
      ],
      responses: { '200': ok('records', obj({ invocations: arrayOf(ref('InvocationRecord')) })), ...errors() },
    },
  },
  '/v1/invocations/{id}': {
    parameters: [param('id', 'invocation id (X-Nimbus-Invocation-Id)')],
    get: {
      summary: 'one invocation record',
      responses: { '200': ok('the record', ref('InvocationRecord')), ...errors('INVOCATION_NOT_FOUND') },
    },
  },
  '/v1/apps/{app}/functions/{fn}/logs': {
    parameters: [appParam, fnParam],
    get: {
      summary: 'one page of log lines, oldest first: at most 1000 lines or ~1 MB of text (lines over 64 K characters are cut, with a note)',
      parameters: [
        param('invocation', 'only the lines of this invocation', str, 'query'),
        param('after', 'only lines with a greater seq (pass the previous answer’s next)', int, 'query'),
        param('limit', 'at most this many (default and max 1000; a larger value is clamped)', { type: 'integer', minimum: 1, maximum: 1000 }, 'query'),
      ],
      responses: {
        '200': ok(
          'lines',
          obj({
            lines: arrayOf(ref('LogLine')),
            next: { type: 'integer', description: 'pass as after' },
            more: { type: 'boolean', description: 'more lines are stored already: ask again with after=next' },
          }),
        ),
        ...errors(),
      },
    },
  },
  ...storage.paths,
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Nimbus control API',
    version: '1',
    description: 'Deploy and manage functions of a Nimbus node. Every /v1 path needs `Authorization: Bearer <admin key>`.',
  },
  servers: [{ url: 'http://127.0.0.1:8081' }],
  security: [{ adminKey: [] }],
  components: {
    securitySchemes: {
      adminKey: { type: 'http', scheme: 'bearer', description: 'the contents of <data-dir>/admin.key' },
    },
    schemas,
  },
  paths,
} as const;

/**
 * The OpenAPI 3.1 document of the control API, derived from the route table (routes.ts) with
 * zod 4's own `z.toJSONSchema`: schemas with a `meta({ id })` become components, every route an
 * operation with its scope, parameters, body, answer and error codes (grouped by status from
 * ERROR_STATUS, so the two cannot drift).
 */
import { z } from 'zod';
import { functionConfigSchema } from '../manifest/index.js';
import { ERROR_STATUS, type ErrorCode } from '../shared/errors.js';
import { errorSchema } from './schemas.js';
import { ROUTES } from './routes.js';
import { AWS_ERRORS } from './lambda-api/errors.js';
import { isRaw, openApiPath, pathParams, scopesOf, type Route } from './table.js';

type Schema = Record<string, unknown>;

/** Path parameters' descriptions, by name. */
const PARAMS: Record<string, string> = {
  app: 'app name',
  fn: 'function name',
  id: 'id (invocation id for /v1/invocations, key id or name for /v1/keys)',
  topic: 'topic name',
  bucket: 'bucket name (exists while a deployed app names it)',
  key: "object key, percent-encoded as one segment ('/' as %2F); 1-1024 bytes of UTF-8",
  FunctionName: '`<app>.<function>`, the function alone (a key limited to one app), or an ARN; `:<qualifier>` may follow',
};

/** Converts schemas, collecting named ones (`meta({ id })`) as components. */
class Converter {
  readonly components: Record<string, Schema> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): Schema {
    const { $schema: _s, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Schema & { $defs?: Record<string, Schema> };
    for (const [id, def] of Object.entries($defs ?? {})) this.components[id] ??= this.#refs(def);
    const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
    const out = this.#refs(rest);
    if (id === undefined) return out;
    this.components[id] ??= out;
    return { $ref: `#/components/schemas/${id}` };
  }

  #refs(s: Schema): Schema {
    return JSON.parse(JSON.stringify(s).replaceAll('"#/$defs/', '"#/components/schemas/')) as Schema;
  }
}

function errors(codes: readonly ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of ['UNAUTHORIZED', 'FORBIDDEN', 'BAD_REQUEST', ...codes] as ErrorCode[]) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])]);
  }
  const error = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  const answers = [...byStatus].map(([status, list]): [string, unknown] => [String(status), { description: list.join(', '), ...error }]);
  answers.push(['default', { description: 'any other error, e.g. INTERNAL', ...error }]);
  return Object.fromEntries(answers);
}

/** The Lambda API's errors (lambda-api/errors.ts): AWS's shape, the type in `x-amzn-ErrorType`. */
function awsErrors(): Record<string, unknown> {
  const byStatus = new Map<number, string[]>();
  for (const [type, status] of Object.entries(AWS_ERRORS)) byStatus.set(status, [...(byStatus.get(status) ?? []), type]);
  const body = {
    content: { 'application/json': { schema: { type: 'object', properties: { Type: { type: 'string', enum: ['User', 'Service'] }, message: { type: 'string' } }, required: ['Type', 'message'] } } },
    headers: { 'x-amzn-ErrorType': { description: 'the error type (the AWS SDK throws the class of that name)', schema: { type: 'string' } } },
  };
  return Object.fromEntries([...byStatus].map(([status, types]) => [String(status), { description: types.join(', '), ...body }]));
}

function operation(r: Route, c: Converter): Schema {
  const parameters: Schema[] = pathParams(r.path).map((name) => ({ name, in: 'path', required: true, description: PARAMS[name] ?? name, schema: { type: 'string' } }));
  if (r.query) {
    const q = c.convert(r.query, 'output') as { properties?: Record<string, Schema>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      const { description, ...rest } = schema;
      parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest });
    }
  }
  for (const h of r.headers ?? []) parameters.push({ name: h.name, in: 'header', required: false, description: h.description, schema: h.schema });
  const op: Schema = {
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    'x-nimbus-scope': scopesOf(r),
    'x-nimbus-app': r.app,
    ...(r.audit ? { 'x-nimbus-audit': r.audit } : {}),
    ...(parameters.length ? { parameters } : {}),
  };
  if (r.body) {
    op['requestBody'] = isRaw(r.body)
      ? {
          required: r.method === 'PUT',
          description: r.body.description,
          content: { [r.body.contentType]: { schema: r.body.contentType === 'application/json' ? {} : { type: 'string', format: 'binary' } } },
        }
      : { required: r.bodyCheckedByHandler === true || !r.body.safeParse({}).success, content: { 'application/json': { schema: c.convert(r.body, 'input') } } };
  }
  const ok = isRaw(r.response)
    ? {
        description: r.response.description,
        ...(r.response.headers ? { headers: r.response.headers } : {}),
        ...(r.method === 'HEAD' ? {} : { content: { [r.response.contentType]: { schema: {} } } }),
      }
    : { description: r.summary, content: { 'application/json': { schema: c.convert(r.response, 'output') } } };
  op['responses'] = { [String(r.status ?? 200)]: ok, ...(r.auth === 'sigv4' ? awsErrors() : errors(r.errors)) };
  if (r.auth === 'sigv4') op['security'] = [{ awsSigV4: [] }];
  return op;
}

/** Build the document from a table (the served one by default). */
export function buildOpenApi(routes: readonly Route[] = ROUTES) {
  const c = new Converter();
  c.convert(errorSchema, 'output');
  // Generated from the zod schema the server validates deploys with, so the two cannot drift.
  c.components['FunctionConfig'] = c.convert(functionConfigSchema, 'input');
  const paths: Record<string, Record<string, Schema>> = {
    '/healthz': {
      get: {
        summary: 'liveness, and the isolation layers this node applies',
        security: [],
        responses: { '200': { description: 'up: {ok: true, isolation: {mode, root, layers: [{name, ok, detail}]}}', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  };
  for (const r of routes) (paths[openApiPath(r.path)] ??= {})[r.method.toLowerCase()] = operation(r, c);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Nimbus control API',
      version: '1',
      description:
        'Deploy and manage functions of a Nimbus node. Every /v1 path needs `Authorization: Bearer <key>`: the admin key of ' +
        '<data-dir>/admin.key or an API key (`nimbus keys create`). `x-nimbus-scope` names the scopes that may call an operation ' +
        '(admin keys may call all), `x-nimbus-app` how its app is found for app-limited keys, `x-nimbus-audit` the audit action it records.',
    },
    servers: [{ url: 'http://127.0.0.1:8081' }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'the admin key (<data-dir>/admin.key) or an API key' },
        awsSigV4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'AWS Signature Version 4 (`AWS4-HMAC-SHA256 Credential=…`) with the credentials of `nimbus keys create --aws`, as the AWS SDK signs',
        },
      },
      schemas: c.components,
    },
    paths,
  };
}

export const openApiDocument = buildOpenApi();

/**
 * The JSON shapes of the control API as zod schemas: the route table validates requests with
 * them, the OpenAPI document is generated from them and the client's types are inferred from
 * them (`z.infer`), so the three cannot drift. A schema with a `meta({ id })` becomes a named
 * component of the OpenAPI document.
 */
import { z } from 'zod';
import { SCOPES, type FunctionConfig } from '../domain/index.js';
import { ERROR_STATUS } from '../shared/errors.js';
import { canarySchema } from './schemas-aliases.js';

const epochMs = z.number().int().describe('epoch milliseconds');
const int = z.number().int();
const ERROR_CODES = Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...Array<keyof typeof ERROR_STATUS>];

/** A query parameter holding a number: absent or empty = undefined, anything else must be a number. */
export const numParam = (description: string) => z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().refine(Number.isFinite, 'expected a number').optional()).describe(description);
/** A page size: an integer 1-1000 in the document; a larger or smaller one is clamped by the store, as before. */
export const limitParam = (description: string) => numParam(description).meta({ type: 'integer', minimum: 1, maximum: 1000 });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional().describe('e.g. issues: [{path, line?, column?, message}]'),
      invocationId: z.string().optional().describe('set when an invocation failed'),
    }),
  })
  .meta({ id: 'Error' });

/**
 * A function's settings as the server stores them (domain FunctionConfig, defaults applied). The
 * document describes it with the manifest's own schema (openapi.ts puts that in the component),
 * since the answer is what a deploy accepted.
 */
export const functionConfigView = z.custom<FunctionConfig>().meta({ id: 'FunctionConfig' });

export const deletedSchema = z.object({ deleted: z.literal(true) });

export const appSummarySchema = z.object({ app: z.string(), functions: int, createdAt: epochMs, updatedAt: epochMs }).meta({ id: 'AppSummary' });

export const deployResultSchema = z
  .object({
    app: z.string(),
    functions: z.array(z.object({ name: z.string(), version: int, created: z.boolean().describe('false: unchanged, no new version') })),
    removed: z.array(z.string()),
    canary: canarySchema.optional().describe('a canary deploy: its state (absent when no function changed or none was asked for)'),
  })
  .meta({ id: 'DeployResult' });

export const functionViewSchema = z
  .object({
    app: z.string(),
    name: z.string(),
    activeVersion: int,
    latestVersion: int,
    createdAt: epochMs,
    updatedAt: epochMs,
    codeSize: int.describe('bytes'),
    config: functionConfigView,
    routes: z.array(z.string().meta({ examples: ['GET /hello/{name}'] })),
    instances: z.object({ total: int, busy: int, idle: int }),
  })
  .meta({ id: 'FunctionView' });

export const versionSchema = z.object({ version: int, hash: z.string(), codeSize: int, createdAt: epochMs, active: z.boolean(), config: functionConfigView }).meta({ id: 'Version' });

export const invocationRecordSchema = z
  .object({
    id: z.string(),
    app: z.string(),
    function: z.string(),
    version: int,
    trigger: z.enum(['http', 'api', 'event', 'schedule', 'topic', 'webhook', 'bucket', 'email']),
    startedAt: epochMs,
    durationMs: z.number(),
    billedMs: int,
    memoryMb: int,
    maxMemoryMb: z.number().nullable(),
    coldStart: z.boolean(),
    initMs: z.number().nullable(),
    status: z.enum(['ok', 'error', 'timeout', 'oom', 'crashed', 'throttled', 'cancelled']),
    errorCode: z.string().nullable(),
    errorMessage: z.string().nullable(),
    httpStatus: int.nullable(),
    traceId: z.string().nullable(),
    responseBytes: int.optional(),
    node: z.string().optional(),
  })
  .meta({ id: 'InvocationRecord' });

export const deadEventSchema = z
  .object({
    id: z.string(),
    source: z.string().describe('invoke, schedule, topic, webhook, bucket or destination'),
    shape: z.string().describe('invoke, scheduled or queue'),
    origin: z.string().describe("topic, bucket, webhook path or schedule; '' for an async invoke"),
    payload: z.unknown().describe('the event as queued (any JSON); a topic message is the message itself'),
    attributes: z.record(z.string(), z.string()).optional().describe("a topic message's attributes, when it was published with some"),
    attempts: int,
    maxAttempts: int,
    createdAt: epochMs,
    expiresAt: epochMs,
    lastError: z.string().nullable(),
    deadAt: epochMs,
    reason: z.string().meta({ examples: ['RetriesExhausted after 3 attempt(s): FUNCTION_ERROR: boom'] }),
  })
  .meta({ id: 'DeadEvent' });

export const logLineSchema = z
  .object({ seq: int, invocationId: z.string().nullable(), ts: epochMs, stream: z.enum(['stdout', 'stderr', 'system']), line: z.string(), version: int })
  .meta({ id: 'LogLine' });

export const logsPageSchema = z.object({
  lines: z.array(logLineSchema),
  next: int.describe('pass as after'),
  more: z.boolean().describe('more lines are stored already: ask again with after=next'),
});

export const asyncInvokeSchema = z.object({ invocationId: z.string(), duplicate: z.boolean().describe('the Idempotency-Key was already used') });

export const objectInfoSchema = z
  .object({
    bucket: z.string(),
    key: z.string(),
    size: int.describe('bytes'),
    etag: z.string().describe('quoted hex MD5 of the bytes, as S3'),
    contentType: z.string(),
    uploadedAt: epochMs,
  })
  .meta({ id: 'ObjectInfo' });

export const objectListSchema = z
  .object({ objects: z.array(objectInfoSchema), cursor: z.string().nullable().describe('pass as cursor for the next page; null on the last') })
  .meta({ id: 'ObjectList' });

export const topicViewSchema = z.object({
  topic: z.string(),
  app: z.string().describe('the app that names it'),
  subscribers: z.array(z.object({ app: z.string(), function: z.string(), batchSize: int, maxBatchWindow: int })),
});

export const bucketViewSchema = z.object({
  bucket: z.string(),
  app: z.string(),
  objects: int,
  bytes: int,
  subscribers: z.array(z.object({ app: z.string(), function: z.string(), events: z.array(z.enum(['created', 'deleted'])), prefix: z.string() })),
});

export const publishResultSchema = z.object({ messageIds: z.array(z.string()), deliveries: int.describe('messages × subscribers') });

// --- secrets (issue 9): names and times, never values

export const secretInfoSchema = z.object({ name: z.string(), updatedAt: epochMs.describe('the last set') }).meta({ id: 'SecretInfo', examples: [{ name: 'db-password', updatedAt: 1764500000000 }] });
export const setSecretSchema = z.strictObject({
  value: z
    .string()
    .describe('the value, at most 64 KB of UTF-8')
    .meta({ examples: ['<the secret>'] }),
});
export const rotateMasterSchema = z.strictObject({ newKey: z.string().optional().describe('base64 or hex of 32 bytes; required when the node reads NIMBUS_MASTER_KEY') }).optional();

// --- keys and audit (issue 9)

export const scopeSchema = z.enum(SCOPES);
export const KEY_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const appName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'an app name');

export const createKeySchema = z.strictObject({
  name: z.string().regex(KEY_NAME, 'lowercase letters, digits and "-", at most 63, starting with a letter or digit'),
  scope: scopeSchema,
  apps: z.array(appName).max(100).default([]).describe('limit the key to these apps; empty = every app (admin keys cannot be limited)'),
  expiresAt: epochMs.nullable().default(null).describe('null = never'),
  aws: z.boolean().default(false).describe('also issue AWS credentials (access key id + secret access key) for SigV4 requests to the Lambda Invoke API'),
});

export const keyViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe('the first characters of the key, as shown in listings and audit entries'),
    scope: scopeSchema,
    apps: z.array(z.string()).describe('empty = every app'),
    createdAt: epochMs,
    expiresAt: epochMs.nullable(),
    revokedAt: epochMs.nullable(),
    lastUsedAt: epochMs.nullable().describe('to the minute'),
    accessKeyId: z.string().optional().describe('the AWS access key id of a key created with `aws: true`'),
  })
  .meta({ id: 'ApiKey' });

export const createdKeySchema = z.object({
  key: z.string().describe('the key itself: shown this once, never again'),
  info: keyViewSchema,
  aws: z
    .object({ accessKeyId: z.string(), secretAccessKey: z.string().describe('shown this once, never again') })
    .optional()
    .describe('with `aws: true`: the SigV4 credentials of the same key (scope, apps, expiry and revocation are shared)'),
});

export const auditEntrySchema = z
  .object({
    seq: int,
    ts: epochMs,
    keyId: z.string(),
    keyName: z.string().describe("the key's prefix (admin.key for the admin key)"),
    action: z.string().meta({ examples: ['app.deploy', 'key.create'] }),
    app: z.string().nullable(),
    target: z.string().nullable(),
    outcome: z.string().describe('ok, or the error code answered'),
  })
  .meta({ id: 'AuditEntry' });

export type KeyView = z.output<typeof keyViewSchema>;
export type CreateKeyInput = z.input<typeof createKeySchema>;
export type CreatedKey = z.output<typeof createdKeySchema>;
export type AuditEntryView = z.output<typeof auditEntrySchema>;
export type TopicView = z.output<typeof topicViewSchema>;
export type BucketView = z.output<typeof bucketViewSchema>;
export type PublishResult = z.output<typeof publishResultSchema>;
export type SecretInfo = z.output<typeof secretInfoSchema>;

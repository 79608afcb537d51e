/**
 * Triggers: as written in `nimbus.yaml` (`rawTriggerSchema`: one flat strict mapping whose kind
 * key — http, schedule, topic, webhook, bucket or email — says what it is) and normalized
 * (`triggerConfigSchema`: the domain's `Trigger` union, told apart by `type`).
 */
import { z } from 'zod';
import { WEBHOOK_DEFAULTS } from '../domain/config.js';
import type { BucketEventType, HttpTrigger, Trigger, WebhookTrigger } from '../domain/types.js';
import { ENV_KEY, resourceNameSchema } from './names.js';
import { exactlyOne, TRIGGER_KINDS } from './one-of.js';
import { HTTP_METHODS, parseHttpRoute, webhookPathProblem } from './routes.js';
import { scheduleProblem, timezoneProblem } from './schedule.js';
import { emailAddressProblem, normalizeEmailAddress } from '../triggers/sources/email/address.js';
import { corsConfigSchema, rateLimitConfigSchema, rawAuthSchema, rawCorsSchema, rawRateLimitSchema, routeAuthConfigSchema, toCors, toRateLimit, toRouteAuth } from './route-policy-schema.js';

export const BUCKET_EVENTS = ['created', 'deleted'] as const satisfies readonly BucketEventType[];
export const DEFAULT_WEBHOOK_HEADER = 'x-hub-signature-256';
const { deliveryHeader: DEFAULT_DELIVERY_HEADER, tolerance: DEFAULT_WEBHOOK_TOLERANCE, maxTolerance: MAX_WEBHOOK_TOLERANCE } = WEBHOOK_DEFAULTS;
export const TRIGGER_DEFAULTS = { batchSize: 1, maxBatchWindow: 0, catchUp: false, prefix: '' } as const;

// An HTTP header name (RFC 9110 token).
const HEADER = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A superRefine reporting what a `(value) => problem | null` check finds. */
function check<T>(problem: (value: T) => string | null) {
  return (value: T, ctx: z.RefinementCtx): void => {
    const message = problem(value);
    if (message !== null) ctx.addIssue({ code: 'custom', message, input: value });
  };
}

const routeSchema = z
  .string()
  .meta({
    description: `An HTTP route, "METHOD /path". METHOD: ${HTTP_METHODS.join(', ')}. Path segments are literal, {param}, or a last {proxy+} matching the rest.`,
    examples: ['GET /hello/{name}', 'ANY /api/{proxy+}'],
    // Only the outline, for editors; parseHttpRoute gives the precise message.
    pattern: `^\\s*(${HTTP_METHODS.join('|')}|${HTTP_METHODS.map((m) => m.toLowerCase()).join('|')})\\s+/`,
  })
  .transform((s, ctx): HttpTrigger => {
    try {
      return parseHttpRoute(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, input: s });
      return z.NEVER;
    }
  });

// Field schemas shared by the raw and normalized forms, so both accept the same values.
const schedule = z
  .string()
  .superRefine(check((s: string) => scheduleProblem(s)))
  .meta({
    description:
      'Runs the function on a schedule: a cron expression (5 fields "minute hour day-of-month month day-of-week", or 6 with seconds first), an AWS "cron(minutes hours day-of-month month day-of-week year)" expression (day-of-week 1-7 = SUN-SAT, ?, L, W, #), or "rate(N minutes|hours|days)".',
    examples: ['0 2 * * *', 'cron(0 12 ? * MON-FRI *)', 'rate(5 minutes)'],
  });
const timezone = z
  .string()
  .superRefine(check(timezoneProblem))
  .meta({ description: 'IANA time zone of a cron schedule. Default UTC.', examples: ['Europe/Paris'] });
const catchUp = z.boolean().describe('Run once for each tick missed while the server was down, instead of skipping them. Default false.');
const topic = resourceNameSchema('Topic').describe('Runs the function for messages published to this topic (each subscriber gets every message).');
const batchSize = z.int().min(1).max(100).describe('Topic messages delivered in one invocation, 1 to 100. Default 1.');
const maxBatchWindow = z.int().min(0).max(300).describe('Seconds to wait for a batch to fill before delivering what there is, 0 to 300. Default 0.');
const webhookPath = z
  .string()
  .superRefine(check(webhookPathProblem))
  .meta({
    description: 'Receives signed POSTs on this exact path (no {params}), answered 202 and delivered asynchronously.',
    examples: ['/hooks/github'],
  });
const secret = z
  .string()
  .regex(ENV_KEY, { error: 'must name an env variable of the function (letters, digits and "_"), e.g. "GITHUB_SECRET"' })
  .describe('Name of the env variable of this function that holds the HMAC-SHA256 signing secret of the webhook.');
const header = z
  .string()
  .regex(HEADER, { error: 'must be an HTTP header name, e.g. "X-Hub-Signature-256"' })
  .describe(`Header carrying the signature "sha256=<hex>". Default ${DEFAULT_WEBHOOK_HEADER} (GitHub's).`);
const deliveryHeader = z
  .string()
  .regex(HEADER, { error: 'must be an HTTP header name, e.g. "X-GitHub-Delivery"' })
  .describe(
    `Header holding each delivery's unique id, used as its idempotency key: a repeated id is answered 202 with the first event's id and not queued again (for 24 h). Default ${DEFAULT_DELIVERY_HEADER} (GitHub's).`,
  );
const timestampHeader = z
  .string()
  .regex(HEADER, { error: 'must be an HTTP header name, e.g. "X-Webhook-Timestamp"' })
  .describe(
    'Header holding the time the request was signed, in Unix seconds. When set, the signature is the HMAC-SHA256 of "<timestamp>.<raw body>" (so the time cannot be changed) and requests further than `tolerance` from now are refused with 401 WEBHOOK_TIMESTAMP_INVALID.',
  );
const tolerance = z
  .int()
  .min(1)
  .max(MAX_WEBHOOK_TOLERANCE)
  .describe(`Seconds a signed timestamp may be older (or further in the future) than now, 1 to ${MAX_WEBHOOK_TOLERANCE}. Default ${DEFAULT_WEBHOOK_TOLERANCE}. Needs timestampHeader.`);
const bucket = resourceNameSchema('Bucket').describe('Runs the function when objects of this bucket are created or deleted.');
const events = z
  .array(z.enum(BUCKET_EVENTS))
  .min(1, { error: `must list at least one of ${BUCKET_EVENTS.join(', ')} (or leave events out for both)` })
  .refine((list) => new Set(list).size === list.length, { error: 'lists an event twice: name each once' })
  .meta({ description: 'Which object events run the function. Default both: [created, deleted].', uniqueItems: true });
const payload = z
  .enum(['1.0', '2.0'])
  .describe('Event shape a Lambda handler gets: "2.0" (API Gateway HTTP API, the default) or "1.0" (API Gateway REST API: resource, path, httpMethod, multiValueHeaders).');
const alias = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'must be an alias name: lower-case letters, digits and "-", starting with a letter, e.g. "live"' })
  .describe('Serve this alias of the function (see `nimbus alias set`) instead of its active version.');
const shape = z.enum(['sns', 'sqs']).describe('Event shape a Lambda handler gets: "sqs" (Records[].body, the default) or "sns" (Records[].Sns, as SNS delivers).');
const prefix = z.string().max(1024).describe('Only objects whose key starts with this prefix. Default: all.');
const email = z
  .string()
  .superRefine(check(emailAddressProblem))
  .meta({
    description:
      'Runs the function for each email received for this address by the node\'s SMTP server (`nimbus up --smtp-port`): an exact address, or "*@domain" for every address of a domain (an exact address of another trigger goes first). Case-insensitive.',
    examples: ['orders@shop.example', '*@support.shop.example'],
  });
const suffix = z.string().min(1).max(1024).describe('Only objects whose key ends with this suffix, e.g. ".jpg" (as S3 suffix rules). Default: all.');

const { kinds } = TRIGGER_KINDS;

const rawTriggerObject = z.strictObject({
  http: routeSchema.optional(),
  auth: rawAuthSchema.optional(),
  cors: rawCorsSchema.optional(),
  rateLimit: rawRateLimitSchema.optional(),
  payload: payload.optional(),
  alias: alias.optional(),
  schedule: schedule.optional(),
  timezone: timezone.optional(),
  catchUp: catchUp.optional(),
  topic: topic.optional(),
  batchSize: batchSize.optional(),
  maxBatchWindow: maxBatchWindow.optional(),
  shape: shape.optional(),
  webhook: webhookPath.optional(),
  secret: secret.optional(),
  header: header.optional(),
  deliveryHeader: deliveryHeader.optional(),
  timestampHeader: timestampHeader.optional(),
  tolerance: tolerance.optional(),
  bucket: bucket.optional(),
  events: events.optional(),
  prefix: prefix.optional(),
  email: email.optional(),
  suffix: suffix.optional(),
});

/** A trigger as written: exactly one kind key plus the options of that kind. */
export const rawTriggerSchema = rawTriggerObject
  .superRefine(exactlyOne(TRIGGER_KINDS))
  .superRefine((t, ctx) => {
    if (t.webhook !== undefined && t.secret === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['secret'],
        message: 'a webhook needs "secret": the name of an env variable of the function holding the signing secret',
      });
    }
    if (t.webhook !== undefined && t.tolerance !== undefined && t.timestampHeader === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tolerance'],
        message: 'tolerance needs "timestampHeader": the header holding the time the sender signed the request (e.g. X-Webhook-Timestamp)',
      });
    }
    if (t.schedule !== undefined && t.timezone !== undefined) {
      const problem = scheduleProblem(t.schedule, t.timezone);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: ['timezone'], message: problem });
    }
  })
  .meta({
    description: `What invokes the function: exactly one of ${Object.keys(kinds).join(', ')}, with that kind's options.`,
    // Editors can tell which keys go together; the parser gives the precise message.
    oneOf: Object.keys(kinds).map((k) => ({ required: [k] })),
    dependentRequired: {
      ...Object.fromEntries(Object.entries(kinds).flatMap(([kind, options]) => options.map((o) => [o, [kind]]))),
      webhook: ['secret'],
      tolerance: ['timestampHeader'],
    },
  })
  .transform(toTrigger);

export type RawTrigger = z.input<typeof rawTriggerSchema>;

/** The route policies a trigger may set, or lift (`none`) when `defaults:` sets them. */
export const ROUTE_POLICIES = ['auth', 'cors', 'rateLimit'] as const;
export type RoutePolicy = (typeof ROUTE_POLICIES)[number];

/** A parsed trigger; an HTTP one remembers which defaults it lifts with `none` until defaults are applied. */
export type ParsedTrigger = Trigger | (HttpTrigger & { lifted?: RoutePolicy[] });

function toTrigger(t: z.output<typeof rawTriggerObject>): ParsedTrigger {
  if (t.http !== undefined) {
    const route: HttpTrigger & { lifted?: RoutePolicy[] } = { ...t.http };
    // Only what is written: a route without the keys keeps its config hash.
    if (t.auth !== undefined && t.auth !== 'none') route.auth = toRouteAuth(t.auth);
    if (t.cors !== undefined && t.cors !== 'none') route.cors = toCors(t.cors);
    if (t.rateLimit !== undefined && t.rateLimit !== 'none') route.rateLimit = toRateLimit(t.rateLimit);
    if (t.payload !== undefined) route.payload = t.payload;
    if (t.alias !== undefined) route.alias = t.alias;
    const lifted = ROUTE_POLICIES.filter((k) => t[k] === 'none');
    if (lifted.length > 0) route.lifted = lifted;
    return route;
  }
  if (t.schedule !== undefined) {
    return { type: 'schedule', schedule: t.schedule, timezone: t.timezone ?? null, catchUp: t.catchUp ?? TRIGGER_DEFAULTS.catchUp };
  }
  if (t.topic !== undefined) {
    return {
      type: 'topic',
      topic: t.topic,
      batchSize: t.batchSize ?? TRIGGER_DEFAULTS.batchSize,
      maxBatchWindow: t.maxBatchWindow ?? TRIGGER_DEFAULTS.maxBatchWindow,
      // Only what is written: a manifest without the key keeps its config hash.
      ...(t.shape === undefined ? {} : { shape: t.shape }),
    };
  }
  if (t.webhook !== undefined) {
    const hook: WebhookTrigger = { type: 'webhook', path: t.webhook, secret: t.secret ?? '', header: (t.header ?? DEFAULT_WEBHOOK_HEADER).toLowerCase() };
    // Only what is written: a manifest without the new keys keeps its config hash.
    if (t.deliveryHeader !== undefined) hook.deliveryHeader = t.deliveryHeader.toLowerCase();
    if (t.timestampHeader !== undefined) {
      hook.timestampHeader = t.timestampHeader.toLowerCase();
      hook.tolerance = t.tolerance ?? DEFAULT_WEBHOOK_TOLERANCE;
    }
    return hook;
  }
  if (t.email !== undefined) return { type: 'email', address: normalizeEmailAddress(t.email) };
  // The refinements guarantee exactly one kind, so this is a bucket trigger.
  const chosen = new Set(t.events ?? BUCKET_EVENTS);
  return {
    type: 'bucket',
    bucket: t.bucket ?? '',
    // Canonical order, so [deleted, created] and [created, deleted] hash the same.
    events: BUCKET_EVENTS.filter((e) => chosen.has(e)),
    prefix: t.prefix ?? TRIGGER_DEFAULTS.prefix,
    // Only what is written: a manifest without the key keeps its config hash.
    ...(t.suffix === undefined ? {} : { suffix: t.suffix }),
  };
}

// ---- normalized

const httpTriggerSchema = z
  .strictObject({
    type: z.literal('http'),
    method: z.enum(HTTP_METHODS),
    path: z.string(),
    auth: routeAuthConfigSchema.optional(),
    cors: corsConfigSchema.optional(),
    rateLimit: rateLimitConfigSchema.optional(),
    payload: payload.optional(),
    alias: alias.optional(),
  })
  .superRefine((t, ctx) => {
    try {
      parseHttpRoute(`${t.method} ${t.path}`);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, path: ['path'], input: t.path });
    }
  });

const scheduleTriggerSchema = z.strictObject({ type: z.literal('schedule'), schedule, timezone: timezone.nullable(), catchUp }).superRefine((t, ctx) => {
  const problem = scheduleProblem(t.schedule, t.timezone);
  if (problem !== null) ctx.addIssue({ code: 'custom', path: ['timezone'], message: problem });
});

/** The domain's `Trigger` union, as the control API receives it. */
export const triggerConfigSchema = z.discriminatedUnion('type', [
  httpTriggerSchema,
  scheduleTriggerSchema,
  z.strictObject({ type: z.literal('topic'), topic, batchSize, maxBatchWindow, shape: shape.optional() }),
  z.strictObject({
    type: z.literal('webhook'),
    path: webhookPath,
    secret,
    header: header.refine((h) => h === h.toLowerCase(), { error: 'must be lower case' }),
    deliveryHeader: deliveryHeader.refine((h) => h === h.toLowerCase(), { error: 'must be lower case' }).optional(),
    timestampHeader: timestampHeader.refine((h) => h === h.toLowerCase(), { error: 'must be lower case' }).optional(),
    tolerance: tolerance.optional(),
  }),
  z.strictObject({ type: z.literal('bucket'), bucket, events, prefix, suffix: suffix.optional() }),
  z.strictObject({ type: z.literal('email'), address: email.refine((a) => a === normalizeEmailAddress(a), { error: 'must be lower case' }) }),
]);

/**
 * Zod schemas for `nimbus.yaml` as users write it (`manifestSchema`, also the source of the
 * published JSON Schema) and for the normalized AppSpec the server receives (`appSpecSchema`).
 * Every object is strict: a misspelled key is an error, never silently ignored.
 */
import { z } from 'zod';
import type { AppSpec } from '../domain/types.js';
import { bindingsConfigSchema, destinationsConfigSchema, maxEventAge, rawBindingsSchema, rawDestinationsSchema, retries } from './events-schema.js';
import { parseHandler } from './handler.js';
import { appNameSchema, envKeySchema, functionNameSchema, resourceNameSchema, secretNameSchema } from './names.js';
import { appRoutesSchema, stageSchema } from './namespace.js';
import { networkSchema } from './network-schema.js';
import { checkFunctions } from './semantic.js';
import { rawAuthSchema, rawCorsSchema, rawRateLimitSchema } from './route-policy-schema.js';
import { rawTriggerSchema, triggerConfigSchema } from './triggers-schema.js';

export { APP_NAME, appNameSchema, BINDING_NAME, ENV_KEY, FUNCTION_NAME, functionNameSchema, RESERVED_ENV_PREFIX, RESOURCE_NAME } from './names.js';

// Bounds shared by the manifest and the normalized spec, so both accept the same values.
const memory = z.int().min(64).max(4096).describe('Memory limit in MB, 64 to 4096. Default 128.');
const timeout = z.number().positive().max(900).describe('Seconds an invocation may run before it is stopped, up to 900. Default 3.');
const concurrency = z.int().min(1).nullable().describe('Most instances of this function running at once. null or unset: only the server-wide limit applies.');
const instanceConcurrency = z.int().min(1).max(1000).describe('Requests one instance serves at the same time, 1 to 1000. Default 1.');
const minInstances = z.int().min(0).describe('Instances kept warm even without traffic; at most `concurrency`. Default 0.');
const ephemeralStorage = z
  .int()
  .min(64)
  .max(10240)
  .describe("Size of the function's private /tmp in MB, 64 to 10240 (as Lambda's). Default 512. Its pages count against `memory` plus the runtime allowance where cgroups apply.");
const idleTimeout = z.int().min(1).max(86400).describe('Seconds an idle instance is kept before it is stopped, up to 86400. Default 300.');

const maxQueueWait = z
  .number()
  .min(0)
  .max(900)
  .describe(
    "Seconds a request may wait for a busy instance of the function to free up before it is answered 429 THROTTLED, 0 to 900. Default 0.5. The function's timeout is the bound when it is lower; requests an instance is being started for wait for it.",
  );

/** `{ secret: db-password }`: the variable holds the app's secret of that name (`nimbus secret set`). */
const secretRef = z.strictObject({ secret: secretNameSchema }).describe('The value of a secret of the app, decrypted into the sandbox when an instance starts.');
const envValue = z.union([z.string(), z.number(), z.boolean(), secretRef], {
  error: (issue) => `must be a string, number, boolean or { secret: <name> } (got ${describeValue(issue.input)})`,
});
/** Plain values as strings; secret references stay `{ secret }` until parse.ts splits them out. */
const rawEnv = z
  .record(envKeySchema, envValue)
  .transform((env) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === 'object' ? v : String(v)])))
  .describe('Environment variables of the function. Numbers and booleans become strings; { secret: <name> } takes the value of an app secret.');

/** Per-function settings that `defaults` may also set. */
const settingsShape = {
  memory: memory.optional(),
  timeout: timeout.optional(),
  concurrency: concurrency.optional(),
  instanceConcurrency: instanceConcurrency.optional(),
  minInstances: minInstances.optional(),
  idleTimeout: idleTimeout.optional(),
  maxQueueWait: maxQueueWait.optional(),
  ephemeralStorage: ephemeralStorage.optional(),
  env: rawEnv.optional(),
  retries: retries.optional(),
  maxEventAge: maxEventAge.optional(),
  destinations: rawDestinationsSchema.optional(),
  bindings: rawBindingsSchema.optional(),
  network: networkSchema.optional(),
};

export const defaultsSchema = z
  .strictObject({
    ...settingsShape,
    auth: rawAuthSchema.optional().describe('Auth of every http trigger that sets none of its own (`auth: none` on a trigger lifts it).'),
    cors: rawCorsSchema.optional().describe('CORS of every http trigger that sets none of its own (`cors: none` lifts it).'),
    rateLimit: rawRateLimitSchema.optional().describe('Rate limit of every http trigger that sets none of its own (`rateLimit: none` lifts it).'),
  })
  .describe(
    'Settings every function gets unless it sets its own; `env`, `bindings` and `destinations` are merged key by key; `auth`, `cors` and `rateLimit` apply to each http trigger without its own.',
  );

const handlerSchema = z
  .string()
  .meta({
    description: 'The code to run: a module ("src/hello.ts", default export {fetch} or export `handler`), or Lambda style "src/app.lambdaHandler" (export lambdaHandler of src/app.ts/.js/.mjs/.cjs).',
    examples: ['src/hello.ts', 'src/app.handler'],
  })
  .transform((s, ctx) => {
    try {
      return parseHandler(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, input: s });
      return z.NEVER;
    }
  });

/** A trigger as written: `{ http: "GET /x" }`, `{ topic: orders, batchSize: 10 }`, … */
export const triggerSchema = rawTriggerSchema;

export const functionSchema = z
  .strictObject({
    handler: handlerSchema,
    ...settingsShape,
    triggers: z.array(triggerSchema).optional().describe('What invokes the function. Without triggers it runs only when invoked through the API.'),
  })
  .describe('A function: its handler, its limits and its triggers.');

const sharedNames = (what: string) => z.array(resourceNameSchema(what)).optional();
export const sharedSchema = z
  .strictObject({ topics: sharedNames('Topic'), buckets: sharedNames('Bucket'), kv: sharedNames('KV namespace') })
  .describe(
    'Resources every stage of the app uses under the same name. `nimbus deploy --stage <s>` prefixes every other topic, bucket and KV namespace the app names with "<s>-". A stage copy may name a shared resource that the app (or another of its stages) owns only when that app declares it shared too.',
  );

export const manifestSchema = z
  .strictObject({
    app: appNameSchema,
    routes: appRoutesSchema.optional(),
    shared: sharedSchema.optional(),
    defaults: defaultsSchema.optional(),
    functions: z
      .record(functionNameSchema, functionSchema)
      .refine((fns) => Object.keys(fns).length > 0, { error: 'define at least one function' })
      .meta({ description: 'The functions of the app, by name.', minProperties: 1 }),
  })
  .describe('A Nimbus app: its name and its functions.');

export type RawManifest = z.input<typeof manifestSchema>;
export type ParsedManifest = z.output<typeof manifestSchema>;
export type ParsedFunction = z.output<typeof functionSchema>;
export type ParsedDefaults = z.output<typeof defaultsSchema>;

// ---- the normalized AppSpec, as parseManifest returns it and the control API receives it

const handlerRefSchema = z.strictObject({
  file: z.string().min(1),
  export: z
    .string()
    .regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/)
    .nullable(),
});

export const functionConfigSchema = z.strictObject({
  handler: handlerRefSchema,
  memory,
  ephemeralStorage: ephemeralStorage.optional(),
  timeout,
  concurrency,
  instanceConcurrency,
  minInstances,
  idleTimeout,
  maxQueueWait,
  env: z.record(envKeySchema, z.string()),
  secrets: z.record(envKeySchema, secretNameSchema).optional(),
  triggers: z.array(triggerConfigSchema),
  retries,
  maxEventAge,
  destinations: destinationsConfigSchema,
  bindings: bindingsConfigSchema,
  network: networkSchema.optional(),
  routes: appRoutesSchema.optional(),
  stage: stageSchema.optional(),
  shared: sharedSchema.optional(),
});

/** Validates a normalized AppSpec, including the checks that span fields (routes, webhooks, destinations, …). */
export const appSpecSchema = z
  .strictObject({
    app: appNameSchema,
    stage: stageSchema.optional(),
    routes: appRoutesSchema.optional(),
    shared: sharedSchema.optional(),
    functions: z.record(functionNameSchema, functionConfigSchema).refine((fns) => Object.keys(fns).length > 0, { error: 'define at least one function' }),
  })
  .superRefine((spec, ctx) => {
    if (spec.stage !== undefined && !spec.app.endsWith(`-${spec.stage}`)) {
      ctx.addIssue({ code: 'custom', path: ['stage'], message: `the app of stage "${spec.stage}" must be named "<app>-${spec.stage}" (got "${spec.app}")` });
    }
    for (const issue of checkFunctions(spec.functions)) ctx.addIssue({ code: 'custom', ...issue });
  }) satisfies z.ZodType<AppSpec>;

export type AppSpecInput = z.input<typeof appSpecSchema>;

/** A short rendering of a value for messages: `"128MB"`, `9000`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- objects returned above; what is left are scalars.
  return String(value);
}

/**
 * Async-event settings of a function — retries, maxEventAge, destinations — and its bindings,
 * as written in `nimbus.yaml` (raw*) and normalized (the domain's `Destination` and `Binding`).
 */
import { z } from 'zod';
import type { Binding, Destination } from '../domain/types.js';
import { bindingNameSchema, functionNameSchema, resourceNameSchema } from './names.js';
import { BINDING_KINDS, DESTINATION_KINDS, exactlyOne } from './one-of.js';

export const BINDING_ACCESS = ['read', 'write', 'readwrite'] as const;

export const retries = z.int().min(0).max(10).describe('Attempts after the first when an async invocation fails, 0 to 10. Default 2.');
export const maxEventAge = z.int().min(60).max(21600).describe('Seconds an async event may wait, retries included, before it is dead-lettered: 60 to 21600. Default 21600 (6 h).');

const destinationFunction = functionNameSchema.describe('A function of this app: it receives the event and the result or error.');
const destinationTopic = resourceNameSchema('Topic').describe('A topic: the event and the result or error are published to it.');

const rawDestination = z
  .strictObject({ function: destinationFunction.optional(), topic: destinationTopic.optional() })
  .superRefine(exactlyOne(DESTINATION_KINDS))
  .meta({
    description: 'Where the outcome goes: { function: <name> } or { topic: <name> }. null: nowhere (lifts a default).',
    oneOf: [{ required: ['function'] }, { required: ['topic'] }],
  })
  .transform((d): Destination => (d.function !== undefined ? { function: d.function } : { topic: d.topic ?? '' }))
  .nullable();

export const rawDestinationsSchema = z
  .strictObject({
    onSuccess: rawDestination.optional().describe("Where a successful async invocation's event and result go."),
    onFailure: rawDestination.optional().describe('Where an async event goes once its retries or maxEventAge are used up, with the last error.'),
  })
  .describe("Where async invocations' outcomes go; each of onSuccess and onFailure is set separately.");

const rawBinding = z
  .strictObject({
    kv: resourceNameSchema('KV namespace').optional(),
    bucket: resourceNameSchema('Bucket').optional(),
    access: z.enum(BINDING_ACCESS).optional().describe('What the function may do with the bucket. Default readwrite.'),
    topic: resourceNameSchema('Topic').describe('A topic the function may publish to.').optional(),
  })
  .superRefine(exactlyOne(BINDING_KINDS))
  .meta({
    description: 'A platform service the function reaches as env.<NAME>: { kv: <name> }, { bucket: <name>, access? } or { topic: <name> }.',
    oneOf: Object.keys(BINDING_KINDS.kinds).map((k) => ({ required: [k] })),
    dependentRequired: { access: ['bucket'] },
  })
  .transform((b): Binding => {
    if (b.kv !== undefined) return { type: 'kv', kv: b.kv };
    if (b.bucket !== undefined) return { type: 'bucket', bucket: b.bucket, access: b.access ?? 'readwrite' };
    return { type: 'topic', topic: b.topic ?? '' };
  });

export const rawBindingsSchema = z
  .record(bindingNameSchema, rawBinding)
  .describe('Services the function may use, by the name it sees them under (env.SESSIONS, context.env.SESSIONS for Lambda handlers). Upper-case names.');

// ---- normalized

const destinationConfig = z.union([z.strictObject({ function: functionNameSchema }), z.strictObject({ topic: resourceNameSchema('Topic') })]);

export const destinationsConfigSchema = z.strictObject({
  onSuccess: destinationConfig.nullable(),
  onFailure: destinationConfig.nullable(),
});

export const bindingsConfigSchema = z.record(
  bindingNameSchema,
  z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('kv'), kv: resourceNameSchema('KV namespace') }),
    z.strictObject({ type: z.literal('bucket'), bucket: resourceNameSchema('Bucket'), access: z.enum(BINDING_ACCESS) }),
    z.strictObject({ type: z.literal('topic'), topic: resourceNameSchema('Topic') }),
  ]),
);

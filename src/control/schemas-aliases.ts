/** The JSON shapes of aliases and canary deploys (issue 12), as schemas.ts does for the rest. */
import { z } from 'zod';

const epochMs = z.number().int().describe('epoch milliseconds');
const int = z.number().int();

export const aliasSchema = z
  .object({
    app: z.string(),
    function: z.string(),
    name: z.string(),
    version: int.describe('the version the alias serves'),
    weighted: z
      .object({ version: int, weight: int.describe('percentage 1-99 of the traffic') })
      .nullable()
      .describe('a second version taking a share of the traffic'),
    createdAt: epochMs,
    updatedAt: epochMs,
  })
  .meta({ id: 'Alias' });

export const setAliasSchema = z.strictObject({
  version: int.min(1).describe('the version the alias serves'),
  weighted: z
    .strictObject({ version: int.min(1), weight: int.min(1).max(99).describe('percentage of the traffic it gets') })
    .nullable()
    .optional()
    .describe('a second version taking a share of the traffic (null or absent: none)'),
});

const countSchema = z.object({ requests: int, errors: int });

export const canarySchema = z
  .object({
    app: z.string(),
    state: z.enum(['running', 'promoted', 'rolled-back']),
    weight: int.describe("percentage of each changed function's traffic on the new versions"),
    startedAt: epochMs,
    endsAt: epochMs,
    maxErrorRate: z.number().describe("percentage points the new versions' error rate may exceed the old ones'"),
    functions: z.array(z.object({ name: z.string(), from: int, to: int, old: countSchema, new: countSchema })),
    reason: z.string().nullable().describe('why it ended; null while running'),
    finishedAt: epochMs.nullable(),
  })
  .meta({ id: 'Canary' });

export const canaryStatusSchema = canarySchema.extend({ elapsedMs: int, remainingMs: int }).meta({ id: 'CanaryStatus' });

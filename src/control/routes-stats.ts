/** Invocation statistics (dashboard charts) and usage with cost (metering), from the per-minute rollups (issue 10). */
import { z } from 'zod';
import { DEFAULT_PRICES } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import { parseWhen, stats, STEPS, usage, type StatsScope } from './stats.js';
import { route, type Principal } from './table.js';

const when = (description: string) =>
  z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || parseWhen(v, 0) !== undefined, 'expected epoch ms, an ISO 8601 time or a duration back from now (1h, 24h, 7d)')
    .describe(description);

function resolve(v: string | undefined, fallback: number, now: number): number {
  return v === undefined || v === '' ? fallback : parseWhen(v, now)!;
}

function scope(key: Principal, q: { app?: string | undefined; function?: string | undefined }): StatsScope {
  return { app: q.app || undefined, function: q.function || undefined, keyApps: key.apps };
}

const filters = {
  app: z.string().optional().describe('only this app'),
  function: z.string().optional().describe("only functions of this name (with app: that app's function)"),
};

const counters = {
  invocations: z.number().int(),
  errors: z.number().int().describe('records whose status is not ok, throttles included'),
  throttles: z.number().int(),
  coldStarts: z.number().int(),
  p50: z.number().nullable().describe('ms, from the rollup histogram; null without invocations'),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  gbSeconds: z.number(),
  cost: z.number().describe('USD'),
};
const usageLine = { invocations: z.number().int(), gbSeconds: z.number(), cost: z.number().describe('USD') };

export const statsRoutes = [
  route({
    method: 'GET',
    path: '/v1/stats',
    summary: 'invocations, errors, throttles, cold starts, duration percentiles, GB-seconds and cost per time bucket (of its apps for an app-limited key)',
    scope: 'read',
    app: 'none',
    query: z.object({
      ...filters,
      since: when('start: epoch ms, ISO 8601 or a duration back from now (default 1h)'),
      until: when('end: epoch ms, ISO 8601 or a duration back from now (default now)'),
      step: z
        .enum(STEPS.map(String) as [string, ...string[]])
        .optional()
        .describe('bucket seconds: 60 (default), 300 or 3600'),
    }),
    response: z.object({
      from: z.number().int().describe('epoch ms, the first bucket start'),
      to: z.number().int().describe('epoch ms, the last bucket end'),
      step: z.number().int().describe('seconds'),
      series: z.array(z.object({ t: z.number().int().describe('epoch ms, bucket start'), ...counters })),
      total: z.object(counters),
    }),
    errors: [],
    handle: async ({ deps, key, query }) => {
      const now = Date.now();
      const step = Number(query.step ?? 60);
      const until = resolve(query.until, now, now);
      const since = resolve(query.since, until - 3600_000, now);
      if (since >= until) throw new NimbusError('BAD_REQUEST', '`since` must be before `until`');
      if ((until - since) / (step * 1000) > 2000) throw new NimbusError('BAD_REQUEST', 'that range has more than 2000 buckets: ask for a larger step (300 or 3600) or a shorter range');
      return stats(deps.store, scope(key, query), since, until, step, deps.prices ?? DEFAULT_PRICES);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/usage',
    summary: 'invocations, GB-seconds and cost per function since a time (of its apps for an app-limited key)',
    scope: 'read',
    app: 'none',
    query: z.object({ ...filters, since: when('start: epoch ms, ISO 8601 or a duration back from now (default 24h)') }),
    response: z.object({
      from: z.number().int(),
      to: z.number().int(),
      total: z.object(usageLine),
      functions: z.array(z.object({ app: z.string(), function: z.string(), ...usageLine })),
    }),
    errors: [],
    handle: async ({ deps, key, query }) => {
      const now = Date.now();
      return usage(deps.store, scope(key, query), resolve(query.since, now - 24 * 3600_000, now), now, deps.prices ?? DEFAULT_PRICES);
    },
  }),
];

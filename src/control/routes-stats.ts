/**
 * TEMPORARY STAND-IN for `GET /v1/stats` (issue 10 part 3, dashboard branch): computes the agreed
 * answer shape from `store.listInvocations` so the dashboard and its browser tests run. The real
 * route (issue 10, metrics branch) replaces this file at merge, with the same shape.
 */
import { z } from 'zod';
import type { InvocationRecord } from '../domain/index.js';
import * as s from './schemas.js';
import { route, type ControlDeps } from './table.js';

/** Flat price per GB-second (the real route reads the configured one). */
const PRICE_PER_GB_S = 0.0000166667;

const bucket = z.object({
  invocations: z.number(),
  errors: z.number(),
  throttles: z.number(),
  coldStarts: z.number(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  gbSeconds: z.number(),
  cost: z.number(),
});

function summarise(records: InvocationRecord[]): z.infer<typeof bucket> {
  const durations = records.map((r) => r.durationMs).sort((a, b) => a - b);
  const pct = (p: number) => (durations.length === 0 ? null : durations[Math.min(durations.length - 1, Math.ceil((p / 100) * durations.length) - 1)]!);
  const gbSeconds = records.reduce((sum, r) => sum + (r.billedMs / 1000) * (r.memoryMb / 1024), 0);
  return {
    invocations: records.length,
    errors: records.filter((r) => r.status !== 'ok' && r.status !== 'throttled').length,
    throttles: records.filter((r) => r.status === 'throttled').length,
    coldStarts: records.filter((r) => r.coldStart).length,
    p50: pct(50),
    p95: pct(95),
    p99: pct(99),
    gbSeconds,
    cost: gbSeconds * PRICE_PER_GB_S,
  };
}

async function records(deps: ControlDeps, visible: (app: string) => boolean, app: string | undefined, fn: string | undefined, since: number): Promise<InvocationRecord[]> {
  await deps.telemetry.flush();
  const fns = (await deps.store.listFunctions()).filter((f) => visible(f.app) && (app === undefined || f.app === app) && (fn === undefined || f.name === fn));
  const out: InvocationRecord[] = [];
  for (const f of fns) out.push(...(await deps.store.listInvocations({ app: f.app, function: f.name, limit: 1000 })).filter((r) => r.startedAt >= since));
  return out;
}

export const statsRoutes = [
  route({
    method: 'GET',
    path: '/v1/stats',
    summary: 'invocation counts, errors, latency percentiles and cost over time (stand-in: the newest 1000 records a function)',
    scope: 'read',
    app: 'none',
    query: z.object({
      since: s.numParam('from this epoch ms (default: one hour ago)'),
      step: s.numParam('bucket width in seconds (default 60)'),
      app: z.string().optional().describe('only this app'),
      function: z.string().optional().describe('only this function (with app)'),
    }),
    response: z.object({ from: z.number(), to: z.number(), step: z.number(), series: z.array(bucket.extend({ t: z.number() })), total: bucket }),
    errors: [],
    handle: async ({ deps, query, visible }) => {
      const to = Date.now();
      const step = Math.max(1, Math.floor(query.step ?? 60));
      const from = Math.floor((query.since ?? to - 3600_000) / (step * 1000)) * step * 1000;
      const all = await records(deps, visible, query.app, query.function, from);
      const series = [];
      for (let t = from; t <= to; t += step * 1000) series.push({ t, ...summarise(all.filter((r) => r.startedAt >= t && r.startedAt < t + step * 1000)) });
      return { from, to, step, series, total: summarise(all) };
    },
  }),
];

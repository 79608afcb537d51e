/** Queries of the stats and usage endpoints; the answers are the domain's StatsAnswer / UsageAnswer. */
import type { FunctionMetricPoint, FunctionMetricSummary } from '../store/index.js';

export type { StatsAnswer, StatsPoint, UsageAnswer, UsageLine } from '../domain/index.js';

export interface StatsQuery {
  app?: string | undefined;
  /** A function's name (within `app` when given). */
  function?: string | undefined;
  /** Epoch ms, ISO 8601 or a duration back from now (`1h`, `24h`); default 1h. */
  since?: number | string | undefined;
  /** Same forms; default now. */
  until?: number | string | undefined;
  /** Bucket seconds: 60 (default), 300 or 3600. */
  step?: 60 | 300 | 3600 | undefined;
}

export interface FunctionMetricsQuery {
  /** Only this metric: the answer then lists its latest values (`points`) too. */
  name?: string | undefined;
  /** Epoch ms, ISO 8601 or a duration back from now; default 1h. */
  since?: number | string | undefined;
  /** Values listed with `name`, newest first (default 100, max 1000). */
  limit?: number | undefined;
}

/** One metric a function printed in CloudWatch Embedded Metric Format, over the window (as the store sums it). */
export type FunctionMetricSummaryView = FunctionMetricSummary;

/** One value of it; the wire form leaves out app and function, which the path names. */
export type FunctionMetricPointView = Omit<FunctionMetricPoint, 'app' | 'function'>;

export interface FunctionMetricsAnswer {
  since: number;
  metrics: FunctionMetricSummaryView[];
  points?: FunctionMetricPointView[];
}

export interface UsageQuery {
  app?: string | undefined;
  function?: string | undefined;
  /** Epoch ms, ISO 8601 or a duration back from now; default 24h. */
  since?: number | string | undefined;
}

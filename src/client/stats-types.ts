/** Queries of the stats and usage endpoints; the answers are the domain's StatsAnswer / UsageAnswer. */
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

export interface UsageQuery {
  app?: string | undefined;
  function?: string | undefined;
  /** Epoch ms, ISO 8601 or a duration back from now; default 24h. */
  since?: number | string | undefined;
}

/** The answers of `GET /v1/stats` and `GET /v1/usage` (server, client and dashboard share them). Times are epoch ms. */
/** One bucket's (or the whole range's) numbers; p* in ms, null without invocations; cost in USD. */
export interface StatsPoint {
  invocations: number;
  errors: number;
  throttles: number;
  coldStarts: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  gbSeconds: number;
  cost: number;
}

/** `step` in seconds; `t` a bucket's start; buckets without data are zeros. */
export interface StatsAnswer {
  from: number;
  to: number;
  step: number;
  series: (StatsPoint & { t: number })[];
  total: StatsPoint;
}

export interface UsageLine {
  invocations: number;
  gbSeconds: number;
  cost: number;
}

export interface UsageAnswer {
  from: number;
  to: number;
  total: UsageLine;
  functions: (UsageLine & { app: string; function: string })[];
}

/** What the bench passes to its load-generator processes and what they print back (one JSON line). */

export interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  /** Fixed total request rate (open-ish model); omit to run closed-loop at full speed. */
  overallRate?: number;
  method?: string;
  /** Responses whose body differs are counted as mismatches. */
  expectBody?: string;
  /** Request headers and body (e.g. an async invoke of the control API). */
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  /** 2xx responses per second over the whole run. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  statusCodes: Record<string, number>;
  durationS: number;
  /** Latency of 2xx responses in ms, from every response (not autocannon's whole-ms histogram). */
  latency: { min: number; p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** (percentile, ms) points of the 2xx latency distribution. */
  cdf: Array<[number, number]>;
}

export interface BurstSpec {
  url: string;
  count: number;
  timeoutMs: number;
}

export interface BurstResult {
  /** From sending the first request until the last answer arrived. */
  totalMs: number;
  latenciesMs: number[];
  statuses: Record<string, number>;
  errors: string[];
  invocationIds: string[];
}

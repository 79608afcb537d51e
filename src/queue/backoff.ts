/**
 * The one retry delay of the event queue: exponential backoff with full jitter, as in the AWS
 * Architecture Blog's "Exponential Backoff And Jitter": the delay before retry n is a uniform
 * random value in [0, min(maxMs, baseMs · 2^(n-1))]. Full jitter spreads a burst of failures
 * (one downstream outage failing a thousand events at once) over the whole window instead of
 * retrying them in lock-step. Every retry in Nimbus's event delivery goes through here.
 */

export interface BackoffOptions {
  /** Delay cap of the first retry, ms. */
  baseMs: number;
  /** No delay is longer than this, ms. */
  maxMs: number;
  /**
   * 'full': uniform in [0, cap]; 'equal': cap/2 + uniform in [0, cap/2] (never retries at once);
   * 'none': exactly the cap (deterministic, for tests and docs).
   */
  jitter: 'full' | 'equal' | 'none';
  /** [0, 1) source; injectable so tests are deterministic. Default Math.random. */
  random?: () => number;
}

/** Async delivery's defaults: the first retry within 1 s, then 2, 4, 8 … capped at 5 minutes. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 5 * 60_000, jitter: 'full' };

/**
 * Delay in ms before the retry that follows failed attempt `attempt` (1 = the first delivery).
 * @example calculateDelay(3, { baseMs: 1000, maxMs: 60_000, jitter: 'none' }) // 4000
 */
export function calculateDelay(attempt: number, options: BackoffOptions): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2 ** 1100 is Infinity: cap the exponent before it overflows.
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(n - 1, 52));
  const random = options.random ?? Math.random;
  switch (options.jitter) {
    case 'none':
      return Math.round(cap);
    case 'equal':
      return Math.round(cap / 2 + random() * (cap / 2));
    case 'full':
      return Math.round(random() * cap);
  }
}

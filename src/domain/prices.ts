/**
 * What invocations cost: a price per request and per GB-second of billed duration × configured
 * memory (Lambda's model). The defaults are Lambda's public x86 prices, without the free tier.
 */
export interface PriceSheet {
  /** USD per request (default 0.0000002: $0.20 per million). */
  request: number;
  /** USD per GB-second (default 0.0000166667). */
  gbSecond: number;
}

export const DEFAULT_PRICES: PriceSheet = { request: 0.2 / 1_000_000, gbSecond: 0.0000166667 };

/** GB-seconds of Σ memory MB × billed ms (a rollup's mbBilledMs): MB / 1024 × ms / 1000. */
export function gbSecondsOf(mbBilledMs: number): number {
  return mbBilledMs / 1024 / 1000;
}

/** Throttled requests ran nothing and are not billed (as Lambda). */
export function costOf(prices: PriceSheet, billableRequests: number, gbSeconds: number): number {
  return billableRequests * prices.request + gbSeconds * prices.gbSecond;
}

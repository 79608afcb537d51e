/** Wire shapes of aliases and canary deploys (issue 12): the domain records, plus the status view. */
import type { AliasRecord, CanaryRecord } from '../domain/index.js';

export type { AliasRecord, CanaryRecord };

/** `GET /v1/apps/{app}/canary`: the canary with how long it has run and has left. */
export type CanaryStatus = CanaryRecord & { elapsedMs: number; remainingMs: number };

/** A canary deploy's settings (`nimbus deploy --canary 10% --for 5m --max-error-rate 2%`). */
export interface CanaryRequest {
  /** Percentage 1–99 of each changed function's traffic the new versions get. */
  weight: number;
  durationMs: number;
  /** Percentage points; default 2. */
  maxErrorRate?: number;
}

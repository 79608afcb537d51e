/**
 * Aliases and canary deploys (issue 12 §4): a name that points at a version of a function (with
 * an optional second version taking a share of its traffic), and the record of a canary deploy.
 */

/** `live` → version 3, or version 3 with 10 % of the traffic on version 4. */
export interface AliasRecord {
  app: string;
  function: string;
  /** Lower-case letters, digits and "-", starting with a letter (as `alias:` on a trigger). */
  name: string;
  version: number;
  /** A second version and the percentage (1–99) of the alias's traffic it gets; null = none. */
  weighted: { version: number; weight: number } | null;
  createdAt: number;
  updatedAt: number;
}

/** Requests and errors one version served during a canary. */
export interface VersionCount {
  requests: number;
  errors: number;
}

/** One function of a canary deploy: `from` keeps serving, `to` gets the canary's share. */
export interface CanaryFunction {
  name: string;
  from: number;
  to: number;
  old: VersionCount;
  new: VersionCount;
}

export type CanaryState = 'running' | 'promoted' | 'rolled-back';

/** The latest canary deploy of an app (one per app: a new one replaces a finished one). */
export interface CanaryRecord {
  app: string;
  state: CanaryState;
  /** Percentage (1–99) of each changed function's traffic the new versions get. */
  weight: number;
  /** Epoch ms. */
  startedAt: number;
  /** When the new versions are promoted unless rolled back before. */
  endsAt: number;
  /** Percentage points by which the new versions' error rate may exceed the old ones' before rollback. */
  maxErrorRate: number;
  functions: CanaryFunction[];
  /** Why it ended (rollback reason, or "promoted after 5m"); null while running. */
  reason: string | null;
  finishedAt: number | null;
}

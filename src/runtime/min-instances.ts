/**
 * How many instances each function keeps warm for `minInstances`, within two caps: an app never
 * more than `perApp` in total (deploy refuses more, but versions stored before the cap existed, or
 * under a larger one, still load), and all apps together never more than `nodeCap`, so instances
 * kept warm can never fill the node and throttle everyone else for good. Functions are served in
 * the order given (deploy order): an earlier one keeps what it had.
 */
import type { FunctionState } from './function-state.js';

/** The default per-app cap on minInstances: a quarter of the node, at least 1. */
export function defaultMinInstancesPerApp(maxInstances: number): number {
  return Math.max(1, Math.floor(maxInstances / 4));
}

/** Set each function's `minKeep` within the caps (all apps together: half the node); say when one gets less than it asks. */
export function applyMinInstanceCaps(states: FunctionState[], perApp: number, maxInstances: number, log?: (line: string) => void): void {
  const nodeCap = Math.max(perApp, Math.floor(maxInstances / 2));
  const granted = grantMinInstances(
    states.map((s) => s.active),
    perApp,
    nodeCap,
  );
  states.forEach((s, i) => {
    const fn = s.active;
    const grant = granted[i] ?? 0;
    if (fn && grant < fn.config.minInstances && s.minKeep !== grant)
      log?.(`minInstances of ${fn.app}/${fn.name}: ${grant} of ${fn.config.minInstances} kept warm (at most ${perApp} per app, ${nodeCap} on the node)`);
    s.minKeep = grant;
  });
}
export function grantMinInstances(functions: ReadonlyArray<{ app: string; config: { minInstances: number } } | undefined>, perApp: number, nodeCap: number): number[] {
  const usedByApp = new Map<string, number>();
  let usedOnNode = 0;
  return functions.map((fn) => {
    if (!fn || fn.config.minInstances <= 0) return 0;
    const used = usedByApp.get(fn.app) ?? 0;
    const grant = Math.max(0, Math.min(fn.config.minInstances, perApp - used, nodeCap - usedOnNode));
    usedByApp.set(fn.app, used + grant);
    usedOnNode += grant;
    return grant;
  });
}

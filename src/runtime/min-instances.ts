/**
 * How many instances each function keeps warm for `minInstances`, within two caps: an app never
 * more than `perApp` in total (deploy refuses more, but versions stored before the cap existed, or
 * under a larger one, still load), and all apps together never more than `nodeCap`, so instances
 * kept warm can never fill the node and throttle everyone else for good. Functions are served in
 * the order given (deploy order): an earlier one keeps what it had.
 */
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

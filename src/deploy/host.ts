/** What the alias book and the canaries need of Deployments (service.ts builds it). */
import type { FunctionRecord, FunctionVersion } from '../domain/index.js';
import type { Clock } from '../shared/clock.js';
import type { Store } from '../store/index.js';
import type { Traffic } from './traffic.js';

export interface TrafficHost {
  store: Store;
  traffic: Traffic;
  clock: Clock;
  log: (line: string) => void;
  /** Run under the deploy lock (one deploy, rollback, alias change or canary end at a time). */
  serial<T>(work: () => Promise<T>): Promise<T>;
  /** FUNCTION_NOT_FOUND when the function does not exist. */
  mustGet(app: string, name: string): Promise<FunctionRecord>;
  current(app: string, name: string): FunctionVersion | undefined;
  /** Re-read the app from the store: routes, active versions and the versions that take traffic. */
  reloadApp(app: string): Promise<void>;
  /** Tell the runtime which versions of the function besides the active one take traffic. */
  syncServing(app: string, name: string): void;
  /** A change of the app's traffic committed on this node (alias set or removed, canary ended): tell the cluster. */
  published(app: string): void;
  /** ROUTE_CONFLICT / RESOURCE_CONFLICT when these versions would clash with other apps' active ones. */
  checkRoutes(app: string, fns: FunctionVersion[]): void;
}

/** An audit entry of the node itself (a canary ending on its timer has no caller). */
export async function auditByNode(host: TrafficHost, action: string, app: string, target: string): Promise<void> {
  try {
    await host.store.appendAudit({ ts: host.clock.now(), keyId: 'nimbus', keyName: 'nimbus', action, app, target, outcome: 'ok' });
  } catch (err) {
    host.log(`audit: ${action} of app "${app}" could not be recorded: ${(err as Error).message}`);
  }
}

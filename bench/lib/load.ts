/** The bench side of the load generators: run one in its own process and read its JSON answer. */
import { worker } from './paths.js';
import { runCommand } from './proc.js';
import type { BurstResult, BurstSpec, LoadResult, LoadSpec } from '../workers/protocol.js';

export type { BurstResult, BurstSpec, LoadResult, LoadSpec };

async function runWorker<T>(name: string, spec: unknown, timeoutMs: number): Promise<T> {
  const out = await runCommand(process.execPath, [worker(name), JSON.stringify(spec)], { timeoutMs });
  const last = out.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}

/** autocannon against `spec.url` for `spec.durationS` seconds. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return runWorker<LoadResult>('autocannon', spec, (spec.durationS + 60) * 1000);
}

/** `spec.count` simultaneous requests, one connection each. */
export function runBurst(spec: BurstSpec): Promise<BurstResult> {
  return runWorker<BurstResult>('burst', spec, spec.timeoutMs + 60_000);
}

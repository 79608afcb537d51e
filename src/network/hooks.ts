/**
 * How the node's runtime uses NetworkEgress: attach a sandbox's veth while it is pre-warmed, apply
 * the function's policy in the runtime's `prepare` hook, detach when the process exits. Sandboxes
 * without their own network namespace (`netnsPid` undefined: no isolation launcher) are left alone.
 */
import type { FunctionVersion } from '../domain/index.js';
import type { SandboxTransport } from '../runtime/index.js';
import type { NetworkEgress } from './egress.js';

export interface EgressHooks {
  /** Call for every spawned sandbox process (from the node's spawn function). */
  spawned(proc: SandboxTransport): void;
  /** The runtime's `prepare` hook (or part of it). */
  prepare(proc: SandboxTransport, fn: FunctionVersion): Promise<void>;
}

export function egressHooks(egress: NetworkEgress, log: (line: string) => void): EgressHooks {
  return {
    spawned(proc) {
      void proc.ready
        .then(
          async () => {
            if (proc.netnsPid !== undefined) await egress.attach(proc.netnsPid);
          },
          () => undefined,
        )
        .catch((err: Error) => log(`network: sandbox ${proc.pid}: ${err.message}`));
      void proc.exited.then(() => (proc.netnsPid === undefined ? undefined : egress.detach(proc.netnsPid)));
    },
    async prepare(proc, fn) {
      if (proc.netnsPid === undefined) return;
      const forwards = await egress.apply(proc.netnsPid, fn.config.network?.egress ?? 'public', proc.runDir);
      if (forwards.length > 0) proc.send({ t: 'forward', forwards });
    },
  };
}

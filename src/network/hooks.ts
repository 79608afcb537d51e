/**
 * How the node's runtime uses NetworkEgress: attach a sandbox's veth while it is pre-warmed, apply
 * the function's policy in the runtime's `prepare` hook, detach when the process exits. Sandboxes
 * without their own network namespace (`netnsPid` undefined: no isolation launcher) are left alone,
 * and the node's table is made only when the first such sandbox appears.
 *
 * If egress control cannot start (not root, no nft), an isolated sandbox keeps the loopback-only
 * namespace the launcher gave it: it fails closed (no network at all), and the node logs why once.
 */
import type { FunctionVersion } from '../domain/index.js';
import type { SandboxTransport } from '../runtime/index.js';
import { NetworkEgress, type EgressOptions, type LayerReport } from './egress.js';
import { available } from './exec.js';

export interface EgressHooks {
  /** Call for every spawned sandbox process (from the node's spawn function). */
  spawned(proc: SandboxTransport): void;
  /** The runtime's `prepare` hook (or part of it). */
  prepare(proc: SandboxTransport, fn: FunctionVersion): Promise<void>;
  /** The "network egress" layer for the node's start-up report. */
  probe(): Promise<LayerReport>;
  /** Set up the node's table and address block now (node start-up), not on the first cold start. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function egressHooks(options: EgressOptions & { log: (line: string) => void }): EgressHooks {
  let started: Promise<NetworkEgress | undefined> | undefined;
  let closed = false;
  const egress = (): Promise<NetworkEgress | undefined> =>
    (started ??= NetworkEgress.start(options).catch((err: Error) => {
      options.log(`network: egress policies are not applied (isolated sandboxes get no network at all): ${err.message}`);
      return undefined;
    }));
  return {
    spawned(proc) {
      // The namespace's pid is known only while the process lives: keep it for the detach.
      let netnsPid: number | undefined;
      // As soon as the namespace exists (a few ms after the spawn), not once the process is warm:
      // the veth is then made while node boots (~100 ms), so a cold start rarely waits for it.
      const attach = async (): Promise<void> => {
        for (let i = 0; i < 200 && proc.isAlive && netnsPid === undefined; i++) {
          netnsPid = proc.netnsPid;
          if (netnsPid === undefined) await new Promise((r) => setTimeout(r, 5));
        }
        netnsPid ??= proc.isAlive ? proc.netnsPid : undefined;
        if (netnsPid !== undefined && !closed) await (await egress())?.attach(netnsPid);
      };
      void attach().catch((err: unknown) => proc.isAlive && options.log(`network: sandbox ${proc.pid}: ${(err as Error).message}`));
      void proc.exited.then(async () => {
        if (netnsPid !== undefined && started) await (await started)?.detach(netnsPid);
      });
    },
    async prepare(proc, fn) {
      if (proc.netnsPid === undefined) return;
      const control = await egress();
      if (!control) return;
      const forwards = await control.apply(proc.netnsPid, fn.config.network?.egress ?? 'public', proc.runDir);
      if (forwards.length > 0) proc.send({ t: 'forward', forwards });
    },
    async probe() {
      if (started) {
        const control = await started;
        if (control) return control.probe();
      }
      if (process.getuid?.() !== 0) return { layer: 'egress', ok: false, detail: 'needs root: sandboxes get no network at all when isolated, or the host network without isolation' };
      for (const [tool, args] of [
        ['nft', ['--version']],
        ['ip', ['-V']],
        ['nsenter', ['--version']],
      ] as const)
        if (!(await available(tool, args))) return { layer: 'egress', ok: false, detail: `needs \`${tool}\`` };
      return { layer: 'egress', ok: true, detail: 'per-function egress policy (veth + nftables), set up with the first isolated sandbox' };
    },
    async start() {
      await egress();
    },
    async close() {
      closed = true;
      if (started) await (await started)?.close();
    },
  };
}

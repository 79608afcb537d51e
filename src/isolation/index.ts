/**
 * OS isolation of sandbox processes (issue 8): bubblewrap namespaces, cgroups v1/v2, idle CPU
 * control, per-node uid ranges, and the start-up capability report. The composition root calls
 * `setupIsolation` once and hands `confine` to every `SandboxProcess`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Confine } from '../runtime/confinement.js';
import type { Clock } from '../shared/clock.js';
import { NimbusError } from '../shared/errors.js';
import type { NodeCgroup } from './cgroups.js';
import { IdleGovernor } from './idle.js';
import { BwrapConfinement, nodeBinds } from './launcher.js';
import { newNodeId, ownerAlive } from './owner.js';
import { probeBwrap, probeCgroups, findExecutable } from './probe.js';
import { UidRange } from './uid-range.js';

export { Cgroups, NodeCgroup, SandboxCgroup, IDLE_QUOTA_US, CPU_PERIOD_US, type CgroupLimits, type CgroupVersion } from './cgroups.js';
export { IdleGovernor } from './idle.js';
export { UidRange } from './uid-range.js';
export { newNodeId, ownerAlive, ownerId } from './owner.js';

export type IsolationMode = 'auto' | 'strict' | 'off';

/** One layer of isolation and whether this node applies it. Other layers (network egress) are appended by their own setup. */
export interface IsolationLayer {
  name: string;
  ok: boolean;
  detail: string;
  /** Needed by `--isolation strict` (default true). */
  required?: boolean;
}

export interface IsolationReport {
  mode: IsolationMode;
  root: boolean;
  /** This node's id: its cgroups are `nimbus/<nodeId>/sbx-N`. */
  nodeId: string;
  layers: IsolationLayer[];
}

export interface IsolationOptions {
  mode: IsolationMode;
  /** Where per-process run dirs go (the node's temp root). */
  runRoot: string;
  clock: Clock;
  log: (line: string) => void;
  /** Tests point these elsewhere. */
  cgroupRoot?: string;
  uidDir?: string;
  bwrap?: string;
}

export interface Isolation {
  readonly report: IsolationReport;
  readonly nodeId: string;
  /** Undefined when namespaces are not applied (the plain launcher is used). */
  readonly confine: Confine | undefined;
  /** Sandbox uids (root only): acquire at spawn, release once the process can no longer run. */
  readonly uids: { acquire(): number; release(uid: number): void } | undefined;
  /** Kill every sandbox of this node, remove its cgroups, give back its uid range. */
  close(): void;
}

/** MB of memory on top of the function's own, for the runtime (Node itself, the shim). */
export const RUNTIME_ALLOWANCE_MB = 128;
export const SANDBOX_PIDS = 64;
export const SANDBOX_NOFILE = 1024;
export const DEFAULT_EPHEMERAL_MB = 512;

/** Check which layers this host allows, apply them, and say so (strict: refuse without all of them). */
export function setupIsolation(o: IsolationOptions): Isolation {
  const root = process.getuid?.() === 0;
  const nodeId = newNodeId();
  const layers: IsolationLayer[] = [];
  const report: IsolationReport = { mode: o.mode, root, nodeId, layers };
  let uids: UidRange | undefined;
  if (root) {
    try {
      uids = UidRange.claim({ dir: o.uidDir });
      layers.push({ name: 'uid', ok: true, detail: `own uid per sandbox from this node's range ${uids.first}..${uids.first + uids.size - 1}` });
    } catch (err) {
      layers.push({ name: 'uid', ok: false, detail: (err as Error).message });
    }
  } else layers.push({ name: 'uid', ok: false, detail: 'not root: sandboxes run as the node user' });

  let confine: Confine | undefined;
  let nodeGroup: NodeCgroup | undefined;
  let governor: IdleGovernor | undefined;
  if (o.mode !== 'off') {
    const bwrap = o.bwrap ?? findExecutable('bwrap');
    const setpriv = root ? findExecutable('setpriv') : undefined;
    const binds = nodeBinds();
    const ns = bwrap === undefined ? { ok: false, detail: 'bubblewrap (bwrap) is not installed' } : probeBwrap(bwrap, binds, root ? setpriv : undefined, uids?.first);
    layers.push({ name: 'namespaces', ok: ns.ok, detail: ns.ok ? 'bubblewrap: own pid, mount, ipc, uts, user and network namespaces (loopback only)' : ns.detail });
    layers.push({ name: 'tmpfs', ok: ns.ok, detail: ns.ok ? 'private /tmp of ephemeralStorage MB; root, /dev and everything else read-only; no host sockets' : 'needs namespaces' });
    layers.push({ name: 'die-with-node', ok: ns.ok, detail: ns.ok ? 'PR_SET_PDEATHSIG (bwrap --die-with-parent)' : 'needs namespaces' });
    layers.push({ name: 'rlimit-nofile', ok: ns.ok, detail: ns.ok ? `RLIMIT_NOFILE ${SANDBOX_NOFILE}` : 'needs the launcher' });

    const cg = root ? probeCgroups(o.cgroupRoot, nodeId) : { ok: false as const, detail: 'not root: cgroups are not writable' };
    if (cg.ok) {
      nodeGroup = cg.nodeGroup;
      const reaped = cg.cgroups.reapDead(ownerAlive);
      if (reaped.length > 0) o.log(`isolation: removed the sandboxes of ${reaped.length} node(s) that are gone (${reaped.join(', ')})`);
    }
    const controllers = cg.ok ? cg.cgroups.controllers() : [];
    const version = cg.ok ? `cgroup v${cg.cgroups.version}` : cg.detail;
    layers.push({ name: 'cgroup-memory', ok: controllers.includes('memory'), detail: controllers.includes('memory') ? `${version}: memory + ${RUNTIME_ALLOWANCE_MB} MB, kernel OOM kill` : version });
    layers.push({ name: 'cgroup-pids', ok: controllers.includes('pids'), detail: controllers.includes('pids') ? `${version}: at most ${SANDBOX_PIDS} tasks` : version });
    layers.push({ name: 'cgroup-cpu', ok: controllers.includes('cpu'), detail: controllers.includes('cpu') ? `${version}: CPU weight, idle instances held to 5% of a core` : version });

    if (ns.ok && bwrap !== undefined) {
      governor = nodeGroup ? new IdleGovernor(o.clock) : undefined;
      const runRoot = join(o.runRoot, 'run');
      mkdirSync(runRoot, { recursive: true, mode: 0o711 });
      const launcher = { bwrap, setpriv, runRoot, binds, cgroup: nodeGroup, runtimeAllowanceMb: RUNTIME_ALLOWANCE_MB, pids: SANDBOX_PIDS, nofile: SANDBOX_NOFILE, idle: governor, log: o.log };
      confine = (request) => new BwrapConfinement({ ...launcher, tmpfsMb: request.ephemeralMb ?? DEFAULT_EPHEMERAL_MB }, request);
    }
  }

  const missing = layers.filter((l) => !l.ok && l.required !== false);
  const close = (): void => {
    governor?.close();
    nodeGroup?.destroy();
    uids?.close();
  };
  if (o.mode === 'strict' && missing.length > 0) {
    close();
    throw new NimbusError(
      'ISOLATION_UNAVAILABLE',
      `--isolation strict: cannot apply ${missing.map((l) => `${l.name} (${l.detail})`).join('; ')}. Run as root with bubblewrap installed and cgroups writable, or use --isolation auto`,
      {
        details: { layers },
      },
    );
  }
  if (o.mode === 'off') o.log('isolation: off (--isolation off): sandboxes rely on the permission model only');
  else if (missing.length > 0) o.log(`isolation: running without ${missing.map((l) => l.name).join(', ')}: ${missing[0]?.detail ?? ''} (see \`nimbus up\` output; --isolation strict refuses this)`);
  return {
    report,
    nodeId,
    confine,
    uids,
    close: () => {
      close();
      rmSync(join(o.runRoot, 'run'), { recursive: true, force: true });
    },
  };
}

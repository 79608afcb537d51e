/**
 * Start-up checks: can this host run bubblewrap with every namespace we ask for, and which cgroup
 * controllers can this node write? Each check does the real thing once (a throwaway sandbox, a
 * throwaway cgroup), so the capability report never claims a layer that would fail at spawn.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Cgroups, type NodeCgroup } from './cgroups.js';

/** An executable in the usual system folders (not $PATH: only the CLI reads the environment). */
export function findExecutable(name: string, dirs = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']): string | undefined {
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Next folder.
    }
  }
  return undefined;
}

/** Run `node --version` in a sandbox built like the real ones (as the sandbox uid when root). */
export function probeBwrap(bwrap: string, binds: string[], setpriv: string | undefined, uid: number | undefined): { ok: boolean; detail: string } {
  const asUser = setpriv !== undefined && uid !== undefined ? [setpriv, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all'] : [];
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL'];
  for (const b of binds) args.push('--ro-bind', b, b);
  args.push('--proc', '/proc', '--dev', '/dev', '--size', String(1024 * 1024), '--tmpfs', '/tmp', '--remount-ro', '/dev', '--remount-ro', '/', '--', process.execPath, '--version');
  const [cmd = bwrap, ...rest] = [...asUser, bwrap, ...args];
  const r = spawnSync(cmd, rest, { encoding: 'utf8', timeout: 10_000, env: {}, cwd: '/' });
  if (r.status === 0 && r.stdout.trim() === process.version) return { ok: true, detail: 'ok' };
  return { ok: false, detail: `bubblewrap cannot start a sandbox here: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().slice(0, 300)}` };
}

export type CgroupProbe = { ok: true; cgroups: Cgroups; nodeGroup: NodeCgroup } | { ok: false; detail: string };

/** Make this node's cgroup parent and one throwaway sandbox group with limits. */
export function probeCgroups(root: string | undefined, nodeId: string): CgroupProbe {
  try {
    const cgroups = new Cgroups({ root });
    if (cgroups.hierarchies().length === 0) return { ok: false, detail: 'no cgroup hierarchy found' };
    const nodeGroup = cgroups.nodeGroup(nodeId, 100 * Math.max(1, availableParallelism()));
    const test = nodeGroup.create({ memoryBytes: 64 * 1024 * 1024, pids: 8, cpuWeight: 100 });
    test.setIdle(true);
    test.remove();
    return { ok: true, cgroups, nodeGroup };
  } catch (err) {
    return { ok: false, detail: `cgroups are not writable: ${(err as Error).message}` };
  }
}

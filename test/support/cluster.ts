/**
 * N `nimbus up --db … --node-id …` processes on loopback sharing one PostgreSQL database, as
 * users run a cluster (docs/cluster.md). Each node has its own data dir (its admin.key copy, its
 * sandboxes' temp files); every node gets the same master key, as the docs ask.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { cleanLeftovers } from '../../src/network/index.js';
import { exited, startUp, type UpProcess } from './up.js';

export interface ClusterNode extends UpProcess {
  id: string;
}

export interface TestCluster {
  db: string;
  nodes: Map<string, ClusterNode>;
  node(id: string): ClusterNode;
  /** Start (or restart) node `id`. */
  start(id: string, extra?: string[]): Promise<ClusterNode>;
  /** kill -9, as a machine dying would. */
  kill(id: string): Promise<void>;
  /** SIGTERM every node still running and wait for them; remove what killed nodes left on the host (egress tables, routes). */
  stop(): Promise<void>;
}

export function testCluster(cwd: string, db: string, common: string[] = []): TestCluster {
  const masterKey = randomBytes(32).toString('hex');
  const nodes = new Map<string, ClusterNode>();
  const all: UpProcess[] = [];
  let killed = false;
  const start = async (id: string, extra: string[] = []): Promise<ClusterNode> => {
    const up = await startUp(cwd, ['--db', db, '--node-id', id, '--data-dir', join(cwd, `data-${id}`), ...common, ...extra], [], {
      NIMBUS_MASTER_KEY: masterKey,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
    });
    all.push(up);
    const node = { ...up, id };
    nodes.set(id, node);
    return node;
  };
  return {
    db,
    nodes,
    node: (id) => {
      const n = nodes.get(id);
      if (!n) throw new Error(`no node ${id}`);
      return n;
    },
    start,
    kill: async (id) => {
      const n = nodes.get(id);
      if (!n) return;
      n.child.kill('SIGKILL');
      killed = true;
      await exited(n.child);
      nodes.delete(id);
    },
    stop: async () => {
      for (const u of all) if (u.child.exitCode === null && u.child.signalCode === null) u.child.kill('SIGTERM');
      const grace = setTimeout(() => {
        for (const u of all) if (u.child.exitCode === null && u.child.signalCode === null) u.child.kill('SIGKILL');
      }, 15_000);
      await Promise.all(all.map((u) => exited(u.child)));
      clearTimeout(grace);
      // A node killed -9 could not remove its nftables table and address block (root only; else nothing to do).
      if (killed) await cleanLeftovers().catch(() => undefined);
    },
  };
}

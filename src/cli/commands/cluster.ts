/** `nimbus cluster status|haproxy-config`: the nodes sharing a PostgreSQL database, and a load balancer for them (issue 11). */
import { type Command, InvalidArgumentError } from 'commander';
import type { ClusterStatus } from '../../client/cluster-types.js';
// The generator alone (not the cluster's index): the CLI need not load the PostgreSQL driver.
import { haproxyConfig, parseNodeArg, type HaproxyNode } from '../../cluster/haproxy.js';
import type { CliContext } from '../context.js';
import { printJson, printLine, printTable } from '../output.js';
import type { JsonFlag } from './options.js';

function age(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : ms < 120_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)}m`;
}

function state(n: ClusterStatus['nodes'][number]): string {
  return !n.alive ? 'dead' : n.draining ? 'draining' : 'up';
}

function nodeArg(value: string, previous: HaproxyNode[] = []): HaproxyNode[] {
  try {
    return [...previous, parseNodeArg(value)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function registerClusterCommands(program: Command, ctx: CliContext): void {
  const cluster = program.command('cluster').description('the nodes sharing one PostgreSQL database (nimbus up --db postgres://… --node-id …)');

  cluster
    .command('status')
    .description('the nodes (heartbeat age, instances, requests in flight, draining) and the queue depth, through any node')
    .option('--json', 'print the API answer as JSON')
    .action(async (opts: JsonFlag) => {
      const s = await ctx.client().cluster();
      if (opts.json) return printJson(s);
      printLine(`${s.mode === 'single' ? 'single node (SQLite)' : `cluster of ${s.nodes.filter((n) => n.alive).length} live node(s)`}; answered by ${s.self}; queue depth ${s.queue.depth}`);
      printTable(
        ['NODE', 'STATE', 'HEARTBEAT', 'INSTANCES', 'IN-FLIGHT', 'GATEWAY', 'ADMIN'],
        s.nodes.map((n) => [n.id === s.self ? `${n.id} *` : n.id, state(n), age(n.heartbeatAgeMs), String(n.instances), String(n.inFlight), n.gatewayUrl || '-', n.adminUrl || '-']),
      );
    });

  cluster
    .command('haproxy-config')
    .description('print an HAProxy configuration for the nodes: each function gets a home node (consistent URI hashing, bounded load), /healthz checks take draining nodes out')
    .option('--node <id=url>', "a node's gateway, e.g. a=http://10.0.0.1:8080 (repeat; default: the live nodes `GET /v1/cluster` lists)", nodeArg)
    .option('--admin', 'also balance the control API (the nodes of --admin-node, or the admin URLs the cluster lists)')
    .option('--admin-node <id=url>', "a node's control API, e.g. a=http://10.0.0.1:8081 (repeat)", nodeArg)
    .option('--bind <addr>', 'where HAProxy listens for function traffic', ':80')
    .option('--admin-bind <addr>', 'where HAProxy listens for the control API', ':8081')
    .action(async (opts: { node?: HaproxyNode[]; admin?: boolean; adminNode?: HaproxyNode[]; bind: string; adminBind: string }) => {
      let gateways = opts.node;
      let admins = opts.adminNode;
      if (gateways === undefined || (opts.admin && admins === undefined)) {
        const live = (await ctx.client().cluster()).nodes.filter((n) => n.alive);
        gateways ??= live.map((n) => ({ id: n.id, url: n.gatewayUrl }));
        admins ??= live.map((n) => ({ id: n.id, url: n.adminUrl }));
      }
      process.stdout.write(haproxyConfig(gateways, { bind: opts.bind, ...(opts.admin || opts.adminNode ? { admin: { nodes: admins ?? [], bind: opts.adminBind } } : {}) }));
    });
}

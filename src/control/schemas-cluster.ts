/** The answer of `GET /v1/cluster` (routes-cluster.ts), apart so ControlDeps can name its type. */
import { z } from 'zod';

const node = z.object({
  id: z.string().describe('the node id (`nimbus up --node-id`); `local` on a single node'),
  heartbeatAgeMs: z.number().describe('ms since its last heartbeat (every 2 s; 0 on a single node)'),
  alive: z.boolean().describe('heartbeat younger than 10 s'),
  draining: z.boolean().describe('closing: its gateway /healthz answers 503 so the load balancer stops sending it requests'),
  instances: z.number().int().describe('function instances it runs'),
  inFlight: z.number().int().describe('invocations running or waiting for an instance on it'),
  gatewayUrl: z.string(),
  adminUrl: z.string(),
  version: z.string().optional().describe('the Nimbus version it runs (cluster mode)'),
  startedAt: z.number().optional().describe('epoch ms (cluster mode)'),
});

export const clusterStatusSchema = z.object({
  mode: z.enum(['single', 'cluster']).describe('single: one node on SQLite; cluster: nodes sharing a PostgreSQL database'),
  self: z.string().describe('the id of the node that answered'),
  nodes: z.array(node).describe('live and draining nodes, and nodes dead for less than an hour, by id'),
  queue: z.object({ depth: z.number().int().describe('events waiting or being delivered, all nodes together') }),
});
export type ClusterStatusView = z.input<typeof clusterStatusSchema>;

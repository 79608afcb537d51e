/**
 * Burst generator process: sends `count` requests at the same instant, each on its own
 * connection, and prints a BurstResult as JSON once every one has answered (or failed).
 * Usage: node burst.js '<BurstSpec JSON>'
 */
import { Agent, request } from 'node:http';
import type { BurstResult, BurstSpec } from './protocol.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as BurstSpec;
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

interface One {
  ms: number;
  status: number | null;
  error: string | null;
  invocationId: string | null;
}

function one(start: bigint): Promise<One> {
  return new Promise((resolve) => {
    const req = request(spec.url, { agent, timeout: spec.timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => {
        const id = res.headers['x-nimbus-invocation-id'];
        resolve({
          ms: Number(process.hrtime.bigint() - start) / 1e6,
          status: res.statusCode ?? 0,
          error: null,
          invocationId: typeof id === 'string' ? id : null,
        });
      });
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', (err) => resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, status: null, error: err.message, invocationId: null }));
    req.end();
  });
}

const start = process.hrtime.bigint();
const all = await Promise.all(Array.from({ length: spec.count }, () => one(start)));
const totalMs = Number(process.hrtime.bigint() - start) / 1e6;

const statuses: Record<string, number> = {};
for (const r of all) {
  const key = r.status === null ? 'error' : String(r.status);
  statuses[key] = (statuses[key] ?? 0) + 1;
}
const out: BurstResult = {
  totalMs,
  latenciesMs: all.map((r) => r.ms),
  statuses,
  errors: all.flatMap((r) => (r.error === null ? [] : [r.error])),
  invocationIds: all.flatMap((r) => (r.invocationId === null ? [] : [r.invocationId])),
};
process.stdout.write(`${JSON.stringify(out)}\n`);

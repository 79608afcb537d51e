/**
 * One timed request at a time, for the cases that look at single requests (cold starts).
 * A keep-alive agent with one socket, opened beforehand, keeps TCP set-up out of the figure.
 */
import { Agent, request } from 'node:http';

export interface Timed {
  ms: number;
  status: number;
  body: string;
  invocationId: string | null;
}

export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 60_000 });
}

/** GET `url`, timing from the request's start until the last byte of the answer. */
export function timedGet(url: string, agent: Agent, timeoutMs = 30_000): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        const id = res.headers['x-nimbus-invocation-id'];
        resolve({ ms, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), invocationId: typeof id === 'string' ? id : null });
      });
    });
    req.once('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${url}`)));
    req.once('error', reject);
    req.end();
  });
}

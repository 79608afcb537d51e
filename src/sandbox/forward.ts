/**
 * Inside the sandbox: allow-listed host services (`egress: ["127.0.0.1:5432"]`). The sandbox's own
 * loopback is not the host's, so the shim listens on the same address and port here and pipes each
 * connection to the node's forwarder socket under /run/nimbus. Done before the function loads, so
 * its first connection finds the listener.
 */
import { createConnection, createServer, type Server } from 'node:net';
import type { SandboxForward } from './protocol.js';

const servers: Server[] = [];

/** Listen for every forward; resolves once all listen (a failure is reported, not thrown: the function then sees ECONNREFUSED). */
export async function startForwards(forwards: readonly SandboxForward[], warn: (line: string) => void): Promise<void> {
  await Promise.all(
    forwards.map(
      (f) =>
        new Promise<void>((resolve) => {
          const server = createServer((inside) => {
            const outside = createConnection({ path: f.socket });
            const end = () => {
              inside.destroy();
              outside.destroy();
            };
            inside.on('error', end).on('close', end);
            outside.on('error', end).on('close', end);
            inside.pipe(outside).pipe(inside);
          });
          server.once('error', (err) => {
            warn(`[nimbus] cannot forward ${f.host}:${f.port}: ${err.message}`);
            resolve();
          });
          server.listen({ host: f.host, port: f.port }, () => resolve());
          servers.push(server);
        }),
    ),
  );
}

/**
 * The host side of an allow-listed host service (`127.0.0.1:5432`): a unix socket in the sandbox's
 * run dir (seen read-only at /run/nimbus inside) whose connections are piped to the real service.
 * Inside, the shim listens on the same address and port in the sandbox's own loopback and pipes to
 * this socket (src/sandbox/forward.ts). The node, not the sandbox, opens the connection to the service.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

/** Connections one sandbox may hold open through one forwarder (each costs the node two fds). */
export const MAX_FORWARDED_CONNECTIONS = 64;

export interface ForwardSpec {
  host: string;
  port: number;
}

/** What the shim needs: listen on host:port, pipe to `socket` (a path inside the sandbox). */
export interface Forward extends ForwardSpec {
  socket: string;
}

export function socketName(spec: ForwardSpec): string {
  return `${spec.host.replace(/[^0-9a-z.]/gi, '_')}_${spec.port}.sock`;
}

export class Forwarder {
  private readonly connections = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  /** Listen on `<runDir>/fwd/<host>_<port>.sock`, mode 0666 (the sandbox runs as another uid). */
  static async open(runDir: string, spec: ForwardSpec): Promise<Forwarder> {
    const dir = join(runDir, 'fwd');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    const path = join(dir, socketName(spec));
    rmSync(path, { force: true });
    const server = createServer();
    const forwarder = new Forwarder(server, path);
    server.maxConnections = MAX_FORWARDED_CONNECTIONS;
    server.on('connection', (inside) => forwarder.pipe(inside, spec));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o666);
    return forwarder;
  }

  private pipe(inside: Socket, spec: ForwardSpec): void {
    const outside = createConnection({ host: spec.host, port: spec.port });
    this.connections.add(inside);
    this.connections.add(outside);
    const end = () => {
      inside.destroy();
      outside.destroy();
      this.connections.delete(inside);
      this.connections.delete(outside);
    };
    inside.on('error', end).on('close', end);
    outside.on('error', end).on('close', end);
    inside.pipe(outside).pipe(inside);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }
}

/**
 * What the gateway admits before it spends anything on a request: connections (total and per
 * remote address) and request-body bytes in flight. Each limit answers at once when it is reached,
 * so a flood of slow clients costs a bounded number of file descriptors and bytes, never the node.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Socket } from 'node:net';

/** When the open-file limit cannot be read (not Linux): a conservative guess. */
const FALLBACK_NOFILE = 1024;

/** The soft RLIMIT_NOFILE of this process (Node has no getrlimit; Linux shows it in /proc). */
export function openFileLimit(limitsFile = '/proc/self/limits'): number {
  try {
    const line = readFileSync(limitsFile, 'latin1')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return 1_048_576;
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : FALLBACK_NOFILE;
  } catch {
    return FALLBACK_NOFILE;
  }
}

/**
 * Default cap on gateway connections: what the open-file limit leaves after room for the node's own
 * files (SQLite, listeners, ~128) and ~6 descriptors per instance (pipes, fd 3, spawn), at most half
 * of it, and never less than a quarter of it (a node with few descriptors still serves traffic).
 */
export function defaultMaxConnections(nofile: number, maxInstances: number): number {
  const room = nofile - 128 - 6 * maxInstances;
  return Math.max(1, Math.max(Math.floor(nofile / 4), Math.min(Math.floor(nofile / 2), room)));
}

export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 256;

/** Default budget of request-body bytes in flight: 1/16 of memory, between 64 MB and 1 GB. */
export function defaultBodyBudget(memory = totalmem()): number {
  const MB = 1024 * 1024;
  return Math.min(1024 * MB, Math.max(64 * MB, Math.floor(memory / 16)));
}

export interface ConnectionLimits {
  maxConnections: number;
  maxConnectionsPerClient: number;
}

/**
 * Counts open connections, total and per remote address. `admit` is called for each accepted
 * socket: over a limit it is answered 503 and closed at once, before node:http reads a byte.
 */
export class ConnectionLimiter {
  private total = 0;
  private readonly perClient = new Map<string, number>();

  constructor(private readonly limits: ConnectionLimits) {}

  get open(): number {
    return this.total;
  }

  /** Whether the socket may stay; if it may, it is counted until it closes. */
  admit(socket: Socket): boolean {
    const addr = socket.remoteAddress ?? '';
    const mine = this.perClient.get(addr) ?? 0;
    if (this.total >= this.limits.maxConnections || mine >= this.limits.maxConnectionsPerClient) {
      const why = this.total >= this.limits.maxConnections ? 'the gateway is at its connection limit' : 'too many connections from this address';
      refuse(socket, why);
      return false;
    }
    this.total++;
    this.perClient.set(addr, mine + 1);
    socket.once('close', () => {
      this.total--;
      const n = (this.perClient.get(addr) ?? 1) - 1;
      if (n <= 0) this.perClient.delete(addr);
      else this.perClient.set(addr, n);
    });
    return true;
  }
}

/** A 503 written straight to the socket (it never reaches node:http), then the descriptor is freed. */
function refuse(socket: Socket, why: string): void {
  const body = JSON.stringify({ error: { code: 'OVERLOADED', message: `${why}; retry later` } });
  socket.on('error', () => {});
  try {
    socket.write(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`);
  } finally {
    // The write of a few bytes to a fresh socket completes at once; the descriptor must not wait on a slow reader.
    socket.destroySoon();
    setImmediate(() => socket.destroy()).unref();
  }
}

/**
 * The node-wide budget of request-body bytes held in memory. A request reserves its declared
 * length before a byte is read (chunked bodies reserve as chunks arrive) and gives it back when its
 * exchange ends, however it ends.
 */
export class ByteBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.used;
  }

  /** Reserve `n` bytes; false (nothing reserved) when that would go over the budget. */
  reserve(n: number): boolean {
    if (n <= 0) return true;
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

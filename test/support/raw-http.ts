/**
 * HTTP/1.1 over a raw socket, for what fetch() hides or refuses to send: pipelining, a Host with a
 * path in it, dot segments, partial headers and bodies, connections held open.
 */
import { connect, type Socket } from 'node:net';

/** A connection to `url`'s host and port, with everything it received collected in `received()`. */
export interface RawConnection {
  socket: Socket;
  received(): string;
  /** Resolves once the server closed the connection (or it failed). */
  closed: Promise<void>;
}

export function rawConnect(url: string): Promise<RawConnection> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  let data = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (data += d));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

/** Send `text` as is and return everything the server sent until it closed the connection. */
export async function rawExchange(url: string, text: string): Promise<string> {
  const c = await rawConnect(url);
  c.socket.write(text);
  await c.closed;
  return c.received();
}

/** The status lines of every response in a raw exchange, in order. */
export function statusLines(raw: string): string[] {
  return [...raw.matchAll(/HTTP\/1\.1 \d{3}[^\r\n]*/g)].map((m) => m[0]);
}

/** Wait until `received()` contains `text`, or the connection closes. */
export async function waitFor(c: RawConnection, text: string, timeoutMs = 10_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let gone = false;
  void c.closed.then(() => (gone = true));
  while (!c.received().includes(text) && !gone && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return c.received();
}

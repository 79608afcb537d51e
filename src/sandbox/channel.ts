/**
 * The sandbox side of the host channel: NDJSON over fd 3. Inbound lines are parsed and
 * handed to one listener; outbound objects are written one per line.
 */
import { Socket } from 'node:net';
import type { HostMessage, SandboxMessage } from './protocol.js';

export interface Channel {
  send(message: SandboxMessage): void;
  /** Write what is queued now, not at the end of this event-loop turn. */
  flush(): void;
  onMessage(listener: (message: HostMessage) => void): void;
}

export function openChannel(fd = 3): Channel {
  const socket = new Socket({ fd, readable: true, writable: true });
  socket.setEncoding('utf8');
  let listener: (message: HostMessage) => void = () => {};
  // Pieces of a line not yet ended: a large reply (a bucket object) arrives in many chunks, and
  // searching only each new chunk for the newline keeps reading it linear.
  let pending: string[] = [];
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.on('data', (chunk: string) => {
    let start = 0;
    let newline = chunk.indexOf('\n');
    while (newline !== -1) {
      const piece = chunk.slice(start, newline);
      const line = pending.length > 0 ? pending.join('') + piece : piece;
      pending = [];
      if (line.length > 0) listener(JSON.parse(line) as HostMessage);
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) pending.push(start === 0 ? chunk : chunk.slice(start));
  });
  // The host closing the channel means this instance is no longer wanted.
  socket.on('end', () => process.exit(0));
  socket.on('error', () => process.exit(1));
  return {
    send(message) {
      // Messages sent in one event-loop turn leave in one write (one wake-up of the host).
      if (!corked) {
        corked = true;
        socket.cork();
        setImmediate(uncork);
      }
      socket.write(JSON.stringify(message) + '\n');
    },
    flush() {
      if (corked) uncork();
    },
    onMessage(l) {
      listener = l;
    },
  };
}

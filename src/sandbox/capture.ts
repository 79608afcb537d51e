/**
 * Output capture: everything the function writes to stdout/stderr (console included) is sent
 * to the host as log messages tagged with the invocation that wrote it. AsyncLocalStorage keeps
 * the tag right when one instance serves several invocations at once.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Channel } from './channel.js';

export const currentInvocation = new AsyncLocalStorage<string>();

/** Longest line kept; the rest is cut so one runaway write cannot flood the host. */
const MAX_LINE = 16 * 1024;

export function captureOutput(channel: Channel): void {
  patch(process.stdout, 1, channel);
  patch(process.stderr, 2, channel);
}

function patch(stream: NodeJS.WriteStream, s: 1 | 2, channel: Channel): void {
  const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    const id = currentInvocation.getStore() ?? null;
    const trimmed = text.endsWith('\n') ? text.slice(0, -1) : text;
    for (const line of trimmed.split('\n')) {
      channel.send({ t: 'log', id, s, line: line.length > MAX_LINE ? line.slice(0, MAX_LINE) + '…[truncated]' : line });
    }
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (typeof cb === 'function') queueMicrotask(() => (cb as () => void)());
    return true;
  };
  stream.write = write;
}

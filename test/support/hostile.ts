/**
 * Code a hostile function uses to speak the sandbox protocol itself: the real attack path is its
 * own `fs.writeSync(3, …)` (fd 3 is the channel to the host; the permission model does not gate
 * writes to an open descriptor). The channel is non-blocking, so a large frame is written in
 * pieces as the host drains it.
 */
export const FRAME = `
import fs from 'node:fs';
async function writeFd(fd, text) {
  let buf = Buffer.from(text);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(fs.writeSync(fd, buf));
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
      await new Promise((r) => setImmediate(r));
    }
  }
}
const frame = (message) => writeFd(3, JSON.stringify(message) + '\\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
`;

/** Resident set size of this process (the node under test runs in it), bytes, after a full GC. */
export async function serverRss(): Promise<number> {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  const { readFileSync } = await import('node:fs');
  return Number(readFileSync('/proc/self/statm', 'latin1').split(' ')[1]) * 4096;
}

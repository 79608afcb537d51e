/** The bare node:http baseline server, in its own process. */
import { join } from 'node:path';
import type { BenchContext } from './context.js';
import { worker } from './paths.js';
import { freePort, startProcess, waitForHttp, type Proc } from './proc.js';
import type { Scope } from './scope.js';

/** A bare hello server; with `delayMs`, each answer waits that long on a timer first. */
export async function startBare(ctx: BenchContext, scope: Scope, delayMs = 0): Promise<{ url: string; proc: Proc }> {
  const port = await freePort();
  const label = delayMs > 0 ? `bare node:http (${delayMs} ms delay)` : 'bare node:http';
  const proc = startProcess(scope, {
    name: label,
    command: process.execPath,
    args: [worker('bare-hello'), String(port), ...(delayMs > 0 ? [String(delayMs)] : [])],
    logFile: join(ctx.tmpDir, delayMs > 0 ? `bare-delay${delayMs}.log` : 'bare.log'),
  });
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(url, proc);
  return { url, proc };
}

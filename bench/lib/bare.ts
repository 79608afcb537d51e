/** The bare node:http baseline server, in its own process. */
import { join } from 'node:path';
import type { BenchContext } from './context.js';
import { worker } from './paths.js';
import { freePort, startProcess, waitForHttp, type Proc } from './proc.js';
import type { Scope } from './scope.js';

export async function startBare(ctx: BenchContext, scope: Scope): Promise<{ url: string; proc: Proc }> {
  const port = await freePort();
  const proc = startProcess(scope, {
    name: 'bare node:http',
    command: process.execPath,
    args: [worker('bare-hello'), String(port)],
    logFile: join(ctx.tmpDir, 'bare.log'),
  });
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(url, proc);
  return { url, proc };
}

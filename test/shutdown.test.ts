/**
 * `nimbus up` as a user runs it: SIGTERM while a request is in flight lets it finish, stops every
 * sandbox process, and leaves a data dir that the next start serves from unchanged.
 */
import { strict as assert } from 'node:assert';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer, type AddressInfo } from 'node:net';
import { MAIN } from '../src/cli/run-cli.js';
import { startUp, type UpProcess } from './support/up.js';

/** Sandbox processes (the runtime shim) started by `pid`; esbuild's service process is not one. */
function sandboxPids(pid: number): number[] {
  try {
    const rows = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n');
    return rows.filter((r) => r.includes('shim.js')).map((r) => Number(r.trim().split(/\s+/)[0]));
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('graceful shutdown', () => {
  let tmp: string;
  let running: UpProcess | undefined;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-shutdown-'));
    await mkdir(join(tmp, 'app', 'src'), { recursive: true });
    await writeFile(join(tmp, 'app', 'nimbus.yaml'), 'app: slow\nfunctions:\n  slow:\n    handler: src/slow.ts\n    triggers: [{ http: GET /slow }]\n');
    await writeFile(join(tmp, 'app', 'src', 'slow.ts'), 'export default { async fetch() { await new Promise((r) => setTimeout(r, 1500)); return new Response("finished"); } };\n');
  });

  after(async () => {
    if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  });

  it('lets an in-flight request finish on SIGTERM, then stops every sandbox', async () => {
    running = await startUp(tmp, ['--deploy', 'app']);
    const { child, gatewayUrl } = running;
    const inFlight = fetch(`${gatewayUrl}/slow`);
    await new Promise((r) => setTimeout(r, 400));
    const sandboxes = sandboxPids(child.pid!);
    assert.ok(sandboxes.length >= 2, `expected the instance and a pool process, saw ${sandboxes.length}`);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'finished');
    assert.equal(await exited, 0, running.stderr());
    await assert.rejects(fetch(`${gatewayUrl}/slow`), 'the gateway no longer accepts connections');
    for (const pid of sandboxes) assert.equal(alive(pid), false, `sandbox process ${pid} outlived the server`);
  });

  it('serves the same deployment after a restart on the same data dir', async () => {
    running = await startUp(tmp, []);
    const res = await fetch(`${running.gatewayUrl}/slow`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'finished');
    const exited = new Promise((resolve) => running!.child.on('exit', resolve));
    running.child.kill('SIGINT');
    await exited;
  });

  it('exits with an error, not a hang, when its port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, [MAIN, 'up', '--port', String(port), '--admin-port', '0', '--pool-size', '0'], { cwd: tmp, env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      clearTimeout(timer);
      assert.equal(code, 1, `expected exit 1, got ${code}: ${err}`);
      assert.match(err, /already in use/);
    } finally {
      blocker.close();
    }
  });
});

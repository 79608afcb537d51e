/**
 * Issue 8, finding 11: file-descriptor exhaustion. A node started with `ulimit -n 256` (prlimit)
 * gets 400 idle connections while requests on earlier connections need new instances (spawns).
 * Before the gateway capped its connections and spawn failures were caught, the spawn threw
 * EMFILE with no handler and the node died; now the excess connections are refused, the node stays
 * up, and it serves requests once they are gone.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type Socket } from 'node:net';
import { rawConnect, waitFor, type RawConnection } from './support/raw-http.js';
import { exited, startUp, type UpProcess } from './support/up.js';

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('gateway: file-descriptor exhaustion (finding 11)', { skip: process.platform !== 'linux' || !hasPrlimit() ? 'needs Linux and prlimit (util-linux)' : false }, () => {
  let tmp: string;
  let running: UpProcess | undefined;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-fd-'));
    await mkdir(join(tmp, 'app'), { recursive: true });
    await writeFile(join(tmp, 'app', 'nimbus.yaml'), 'app: fd\nfunctions:\n  slow:\n    handler: slow.ts\n    triggers: [{ http: GET /slow }]\n');
    await writeFile(join(tmp, 'app', 'slow.ts'), 'export default { async fetch() { await new Promise((r) => setTimeout(r, 500)); return new Response("ok"); } };\n');
  });

  after(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGTERM');
      await exited(running.child);
    }
    await rm(tmp, { recursive: true, force: true });
  });

  it('stays up under 400 idle connections with 256 descriptors, and serves once they close', async () => {
    running = await startUp(tmp, ['--data-dir', 'data', '--deploy', 'app', '--max-instances', '8'], ['prlimit', '--nofile=256:256', '--']);
    const { child, gatewayUrl } = running;
    assert.equal((await fetch(`${gatewayUrl}/slow`)).status, 200);
    // Connections opened first, used once the descriptors are taken: their requests need new instances.
    const early: RawConnection[] = [];
    for (let i = 0; i < 6; i++) early.push(await rawConnect(gatewayUrl));
    const u = new URL(gatewayUrl);
    const flood: Socket[] = [];
    for (let i = 0; i < 400; i++) {
      const s = connect(Number(u.port), u.hostname);
      s.on('error', () => {});
      flood.push(s);
    }
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of early) c.socket.write('GET /slow HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    const answers = await Promise.all(early.map((c) => waitFor(c, '\r\n\r\n', 15_000)));
    assert.equal(child.exitCode, null, `the node died: ${running.stderr().slice(-2000)}`);
    for (const a of answers) assert.match(a, /^HTTP\/1\.1 (200|503) /, a);
    for (const s of flood) s.destroy();
    for (const c of early) c.socket.destroy();
    await new Promise((r) => setTimeout(r, 500));
    const res = await fetch(`${gatewayUrl}/slow`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
    assert.equal(child.exitCode, null);
  });
});

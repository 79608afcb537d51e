/**
 * The runtime wiring of egress control (root only): a sandbox with its own network namespace gets
 * its veth while pre-warmed and the function's policy at prepare time, including the `forward`
 * message the shim needs; a sandbox without one (no isolation launcher) is left alone.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { withConfigDefaults, type FunctionVersion, type NetworkPolicy } from '../domain/index.js';
import { FakeTransport } from '../runtime/fake-transport.js';
import { available, run } from './exec.js';
import { egressHooks } from './hooks.js';
import { netnsProcess } from './netns-fixture.js';

const skip = process.getuid?.() !== 0 ? 'needs root: network namespaces, veths and nftables' : !(await available('nft', ['--version'])) ? 'needs nft' : undefined;

class IsolatedTransport extends FakeTransport {
  constructor(
    private readonly nsPid: number | undefined,
    readonly runDir: string | undefined,
  ) {
    super();
  }

  /** As SandboxProcess: known only while the process lives. */
  get netnsPid(): number | undefined {
    return this.isAlive ? this.nsPid : undefined;
  }
}

function version(network?: NetworkPolicy): FunctionVersion {
  const config = withConfigDefaults({ handler: { file: 'src/f.ts', export: null }, ...(network ? { network } : {}) });
  return { app: 'a', name: 'f', version: 1, hash: 'h', codeHash: 'c', codeSize: 1, config, createdAt: 0 };
}

describe('egress hooks', { skip }, () => {
  const lines: string[] = [];
  const hooks = egressHooks({ log: (l) => lines.push(l) });
  const runDir = mkdtempSync(join(tmpdir(), 'nimbus-egress-hooks-'));
  after(async () => {
    await hooks.close();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('a sandbox without its own network namespace: nothing is set up, nothing sent', async () => {
    const proc = new IsolatedTransport(undefined, undefined);
    hooks.spawned(proc);
    await hooks.prepare(proc, version({ egress: ['127.0.0.1:6379'] }));
    assert.deepEqual(proc.sent, []);
    // No table of this process (`nimbus_<pid36>…`); another Nimbus node on the host has its own.
    assert.doesNotMatch(await run('nft', ['list', 'tables']), new RegExp(`nimbus_${process.pid.toString(36)}(X\\d+)?_`));
  });

  it('an isolated sandbox: veth when warm, policy and forwards at prepare, all gone when it exits', async () => {
    const ns = await netnsProcess();
    try {
      const proc = new IsolatedTransport(ns.pid, runDir);
      hooks.spawned(proc);
      await hooks.prepare(proc, version({ egress: ['127.0.0.1:6379', '203.0.113.0/24'] }));
      assert.deepEqual(proc.sent, [{ t: 'forward', forwards: [{ host: '127.0.0.1', port: 6379, socket: '/run/nimbus/fwd/127.0.0.1_6379.sock' }] }]);
      const inside = await run('nsenter', ['-t', String(ns.pid), '-n', 'ip', '-br', 'addr']);
      assert.match(inside, /eth0@\S+\s+UP\s+10\.213\./);
      const probe = await hooks.probe();
      assert.equal(probe.layer, 'egress');
      assert.match(probe.detail, /nftables table nimbus_|ip_forward/);
      proc.kill('shutdown');
      await proc.exited;
      // detach runs on the exit: wait for the link to go.
      for (let i = 0; i < 100 && /eth0/.test(await run('nsenter', ['-t', String(ns.pid), '-n', 'ip', '-br', 'link'])); i++) await new Promise((r) => setTimeout(r, 20));
      assert.doesNotMatch(await run('nsenter', ['-t', String(ns.pid), '-n', 'ip', '-br', 'link']), /eth0/);
    } finally {
      ns.dispose();
    }
    assert.deepEqual(lines, []);
  });
});

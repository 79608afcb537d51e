/** `nimbus up` end to end: the real server, a starter app deployed at start, a clean stop. */
import { strict as assert } from 'node:assert';
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { MAIN, runCli } from './run-cli.js';

interface UpJson {
  gatewayUrl: string;
  adminUrl: string;
  adminKeyFile: string;
  deployed: Array<{ app: string; functions: Array<{ name: string; version: number }> }>;
  failed: Array<{ dir: string; error: { code: string } }>;
}

type Child = ChildProcessByStdio<null, Readable, Readable>;

function firstLine(child: Child, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.on('close', (code) => reject(new Error(`nimbus up exited (${code}) before starting: ${stderr()}`)));
  });
}

describe('nimbus up', () => {
  let tmp: string;
  let child: Child | undefined;
  let up: UpJson;
  let stderr = '';

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-up-'));
    assert.equal((await runCli(['init', 'demo'], { cwd: tmp })).code, 0);
    const ports = ['--port', '0', '--admin-port', '0', '--pool-size', '1', '--log-quota', '512kb', '--log-rate', '50', '--min-instances-per-app', '2'];
    const args = ['up', ...ports, '--json', '--deploy', 'demo', '--deploy', 'nowhere'];
    const c = spawn(process.execPath, [MAIN, ...args], { cwd: tmp, env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    up = JSON.parse(await firstLine(c, () => stderr)) as UpJson;
  });

  after(async () => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  });

  it('deploys the good app, reports the bad one, and keeps serving', async () => {
    assert.deepEqual(
      up.deployed.map((d) => [d.app, d.functions.map((f) => `${f.name} v${f.version}`).sort()]),
      [['demo', ['api v1', 'hello v1']]],
    );
    assert.equal(up.failed[0]?.dir, 'nowhere');
    assert.equal(up.failed[0]?.error.code, 'MANIFEST_INVALID');
    assert.equal(up.adminKeyFile, join(tmp, '.nimbus', 'admin.key'));
    // The starter lives under its base path (/demo), so it never collides with the examples.
    const res = await fetch(`${up.gatewayUrl}/demo/hello/world`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { message: 'Hello, world!' });
  });

  it('the CLI finds the key next to the data dir and invokes through the control API', async () => {
    const r = await runCli(['invoke', 'demo/api', '--data', '{"a":1}'], { cwd: tmp, env: { NIMBUS_URL: up.adminUrl } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { received: unknown }).received, { a: 1 });
  });

  it('refuses a log quota that is not a size', async () => {
    const run = await runCli(['up', '--log-quota', 'lots'], { cwd: tmp });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /--log-quota.*expected a size, e\.g\. 1mb/s);
  });

  it('stops cleanly on SIGTERM', async () => {
    const c = child;
    assert.ok(c !== undefined);
    const exited = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
    c.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(stderr, /shutting down…/);
  });
});

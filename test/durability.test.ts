/**
 * Durability of async invocations, as a user would break it: `nimbus up`, 5,000 async events from
 * concurrent clients, `kill -9` of the server once about half were accepted, a restart on the same
 * data dir. Every event that got its 202 must be processed at least once; events in delivery at
 * the kill may run twice (at-least-once), which the test reports rather than forbids.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { NimbusClient } from '../src/client/index.js';
import { MAIN } from '../src/cli/run-cli.js';
import { eventually } from './support/harness.js';

type Child = ChildProcessByStdio<null, Readable, Readable>;

const TOTAL = 5000;
const KILL_AFTER = 2500;
const CLIENTS = 32;

interface Up {
  child: Child;
  client: NimbusClient;
  adminUrl: string;
  key: string;
  stderr: () => string;
}

function up(cwd: string, args: string[]): Promise<Up> {
  const child = spawn(process.execPath, [MAIN, 'up', '--data-dir', 'data', '--port', '0', '--admin-port', '0', '--pool-size', '1', '--json', ...args], { cwd, env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const { adminUrl, adminKeyFile } = JSON.parse(out.slice(0, nl)) as { adminUrl: string; adminKeyFile: string };
      void readFile(adminKeyFile, 'utf8').then((key) => resolve({ child, adminUrl, key: key.trim(), client: new NimbusClient({ url: adminUrl, key: key.trim() }), stderr: () => err }), reject);
    });
    child.on('close', (code) => reject(new Error(`nimbus up exited (${code}): ${err}`)));
  });
}

const exited = (child: Child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('close', () => resolve())));

describe('durability of async invocations', () => {
  let tmp: string;
  const running: Up[] = [];

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-durability-'));
    await mkdir(join(tmp, 'app', 'src'), { recursive: true });
    await writeFile(join(tmp, 'app', 'nimbus.yaml'), 'app: dur\nfunctions:\n  sink:\n    handler: src/sink.handler\n    concurrency: 2\n    instanceConcurrency: 8\n');
    await writeFile(join(tmp, 'app', 'src', 'sink.mjs'), "export const handler = async (event) => { console.log('processed ' + event.n); };\n");
  });

  after(async () => {
    for (const u of running) if (u.child.exitCode === null && u.child.signalCode === null) u.child.kill('SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  });

  it('processes every accepted event at least once across a kill -9 and a restart', async (t) => {
    const first = await up(tmp, ['--deploy', 'app']);
    running.push(first);
    const accepted = new Map<string, number>();
    let next = 0;
    let killed = false;
    const send = async (): Promise<void> => {
      while (!killed && next < TOTAL) {
        const n = next++;
        let res: Response;
        try {
          res = await fetch(`${first.adminUrl}/v1/apps/dur/functions/sink/invoke`, {
            method: 'POST',
            headers: { authorization: `Bearer ${first.key}`, 'x-nimbus-invocation-type': 'Event', 'content-type': 'application/json' },
            body: JSON.stringify({ n }),
          });
        } catch {
          return; // the server is gone: this one was never accepted
        }
        if (res.status !== 202) throw new Error(`event ${n}: HTTP ${res.status} ${await res.text()}`);
        accepted.set(((await res.json()) as { invocationId: string }).invocationId, n);
        if (accepted.size >= KILL_AFTER && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: CLIENTS }, send));
    const acceptMs = Date.now() - t0;
    await exited(first.child);
    assert.equal(first.child.signalCode, 'SIGKILL');

    const second = await up(tmp, []);
    running.push(second);
    const t1 = Date.now();
    await eventually(async () => (await second.client.queueDepth('dur', 'sink')).depth === 0, 60_000, 'the queue to drain after the restart');
    const drainMs = Date.now() - t1;
    assert.deepEqual(await second.client.listDead('dur', 'sink'), [], 'nothing was dead-lettered');

    // Every processed delivery logged its event number, tagged with the invocation (= event) id.
    const runs = new Map<string, number>();
    let after: number | undefined;
    for (;;) {
      const page = await second.client.logs('dur', 'sink', { after, limit: 10_000 });
      for (const l of page.lines) if (l.invocationId !== null && l.line.startsWith('processed ')) runs.set(l.invocationId, (runs.get(l.invocationId) ?? 0) + 1);
      if (page.lines.length === 0) break;
      after = page.next;
    }
    const missing = [...accepted.keys()].filter((id) => !runs.has(id));
    const duplicates = [...runs.values()].filter((c) => c > 1).length;
    const unacknowledged = [...runs.keys()].filter((id) => !accepted.has(id)).length;
    t.diagnostic(`accepted ${accepted.size} (in ${acceptMs} ms before the kill), processed ${accepted.size - missing.length} of them, ` +
      `duplicates ${duplicates}, processed without a 202 seen (committed as the server died) ${unacknowledged}, drained in ${drainMs} ms after the restart`);
    assert.ok(accepted.size >= KILL_AFTER, `only ${accepted.size} events were accepted`);
    assert.deepEqual(missing.map((id) => accepted.get(id)), [], 'accepted events that never ran');

    second.child.kill('SIGTERM');
    await exited(second.child);
  });
});

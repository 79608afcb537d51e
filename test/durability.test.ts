/**
 * Durability of async invocations, as a user would break it: `nimbus up`, async events from
 * concurrent clients, `kill -9` of the server once about half of 5,000 were accepted, a restart on
 * the same data dir, the rest (and those whose request the kill cut off) sent to it. Every event
 * that got its 202 must be processed at least once; events in delivery at the kill may run twice
 * (at-least-once), which the test reports rather than forbids.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exited, startUp, type UpProcess } from './support/up.js';
import { eventually } from './support/harness.js';

const TOTAL = 5000;
const KILL_AFTER = 2500;
const CLIENTS = 32;

describe('durability of async invocations', () => {
  let tmp: string;
  const running: UpProcess[] = [];

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
    // Each run's log line is the proof it ran: no log rate quota may drop one (`--log-rate`).
    const first = await startUp(tmp, ['--data-dir', 'data', '--log-rate', '1000000', '--deploy', 'app']);
    running.push(first);
    const accepted = new Map<string, number>();
    const todo = Array.from({ length: TOTAL }, (_, n) => n);
    let killed = false;
    let committedUnanswered = 0;
    const send = async (node: UpProcess, killAt: number): Promise<void> => {
      for (let n = todo.shift(); n !== undefined; n = todo.shift()) {
        let res: Response;
        try {
          res = await fetch(`${node.adminUrl}/v1/apps/dur/functions/sink/invoke`, {
            method: 'POST',
            // A resend of a request the kill cut off gets the first id back if it had been committed.
            headers: { authorization: `Bearer ${node.key}`, 'x-nimbus-invocation-type': 'Event', 'content-type': 'application/json', 'idempotency-key': `event-${n}` },
            body: JSON.stringify({ n }),
          });
        } catch {
          todo.push(n); // the server is gone: never accepted, send it to the next one
          return;
        }
        if (res.status !== 202) throw new Error(`event ${n}: HTTP ${res.status} ${await res.text()}`);
        const body = (await res.json()) as { invocationId: string; duplicate: boolean };
        accepted.set(body.invocationId, n);
        if (body.duplicate) committedUnanswered++;
        if (accepted.size >= killAt && !killed) {
          killed = true;
          node.child.kill('SIGKILL');
        }
        if (killed && node === first) return;
      }
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: CLIENTS }, () => send(first, KILL_AFTER)));
    const acceptMs = Date.now() - t0;
    const acceptedBeforeKill = accepted.size;
    await exited(first.child);
    assert.equal(first.child.signalCode, 'SIGKILL');

    const second = await startUp(tmp, ['--data-dir', 'data', '--log-rate', '1000000']);
    running.push(second);
    await Promise.all(Array.from({ length: CLIENTS }, () => send(second, Infinity)));
    assert.equal(new Set(accepted.values()).size, TOTAL, 'every event was accepted by one server or the other');
    assert.equal(accepted.size, TOTAL, 'an event resent after the restart kept its first id');
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
    const strays = [...runs.keys()].filter((id) => !accepted.has(id)).length;
    t.diagnostic(
      `accepted ${accepted.size} (${acceptedBeforeKill} in ${acceptMs} ms before the kill -9), processed ${accepted.size - missing.length} of them, ` +
        `duplicates ${duplicates}, requests cut off by the kill yet committed (their resend answered duplicate) ${committedUnanswered}, drained ${drainMs} ms after the last 202`,
    );
    assert.equal(strays, 0, 'every delivery was of an accepted event');
    assert.deepEqual(
      missing.map((id) => accepted.get(id)),
      [],
      'accepted events that never ran',
    );

    second.child.kill('SIGTERM');
    await exited(second.child);
  });
});

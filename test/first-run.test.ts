/**
 * The first ten minutes, as the README tells a new user: a node started like `npm start` (the
 * examples deployed), then `nimbus init my-app && cd my-app && nimbus deploy` and the curl line
 * it prints. The CLI gets no key or URL: only the per-user config dir, pointed at a temp dir so
 * the tester's own ~/.config is never touched.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli/run-cli.js';
import { NODES_FILE } from '../src/cli/nodes.js';
import { exited, startUp, type UpProcess } from './support/up.js';

const EXAMPLES = ['hello', 'signup', 'uploads', 'ci-webhook', 'nightly'];
const example = (name: string) => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));

describe('first run: init → deploy → curl from inside the new app', () => {
  let tmp: string;
  let env: Record<string, string>;
  let up: UpProcess;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-first-run-'));
    env = { NIMBUS_CONFIG_DIR: join(tmp, 'config') };
    const deploys = EXAMPLES.flatMap((name) => ['--deploy', example(name)]);
    up = await startUp(tmp, ['--data-dir', join(tmp, 'data'), ...deploys], [], env);
  });
  after(async () => {
    if (up.child.exitCode === null) up.child.kill('SIGINT');
    await exited(up.child);
    await rm(tmp, { recursive: true, force: true });
  });

  it('the starter deploys next to the examples and answers the printed curl line', async () => {
    const init = await runCli(['init', 'my-app'], { cwd: tmp, env });
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /cd my-app\n\s+nimbus deploy/);

    const app = join(tmp, 'my-app');
    const deploy = await runCli(['deploy'], { cwd: app, env });
    assert.equal(deploy.code, 0, `deploy failed:\n${deploy.stderr}`);
    assert.match(deploy.stdout, /deployed app my-app/);
    const curl = /curl '(http:\/\/[^']+)'/.exec(deploy.stdout);
    assert.ok(curl?.[1], `no curl line in:\n${deploy.stdout}`);
    assert.ok(curl[1].startsWith(up.gatewayUrl), curl[1]);
    const res = await fetch(curl[1]);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { message: 'Hello, world!' });

    // The examples still answer on their own routes.
    const hello = await fetch(`${up.gatewayUrl}/hello/Ada`);
    assert.equal(hello.status, 200);
    await hello.arrayBuffer();

    // The other commands of the walkthrough find the node the same way.
    const ls = await runCli(['ls'], { cwd: app, env });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /my-app/);
    const invoke = await runCli(['invoke', 'api', '--data', '{"a":1}'], { cwd: app, env });
    assert.equal(invoke.code, 0, invoke.stderr);
    assert.deepEqual((JSON.parse(invoke.stdout) as { received: unknown }).received, { a: 1 });

    // invoke --log: the result on stdout, then the invocation's log (its REPORT line included) on stderr.
    const logged = await runCli(['invoke', 'api', '--data', '{"b":2}', '--log'], { cwd: app, env });
    assert.equal(logged.code, 0, logged.stderr);
    assert.deepEqual((JSON.parse(logged.stdout) as { received: unknown }).received, { b: 2 });
    assert.match(logged.stderr, /echoing \{"b":2\}/);
    assert.match(logged.stderr, /REPORT RequestId: \S+\s+Duration/);

    // A sample event, fed to invoke.
    const sample = await runCli(['event', 'topic', '--name', 'orders', '--body', '{"id":7}'], { cwd: app, env });
    assert.equal(sample.code, 0, sample.stderr);
    await writeFile(join(app, 'event.json'), sample.stdout);
    const fed = await runCli(['invoke', 'api', '--data', '@event.json'], { cwd: app, env });
    assert.equal(fed.code, 0, fed.stderr);
    const received = (JSON.parse(fed.stdout) as { received: { Records: Array<{ body: string }> } }).received;
    assert.deepEqual(JSON.parse(received.Records[0]?.body ?? 'null'), { id: 7 });
  });

  it('without the recorded node the CLI says where it looked', async () => {
    const r = await runCli(['ls'], { cwd: tmp, env: { NIMBUS_CONFIG_DIR: join(tmp, 'elsewhere'), NIMBUS_URL: up.adminUrl } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /UNAUTHORIZED/);
    assert.match(r.stderr, /no admin key found .*elsewhere/);
  });

  it('a node that stops removes its entry', async () => {
    const file = join(env['NIMBUS_CONFIG_DIR'] ?? '', NODES_FILE);
    assert.match(await readFile(file, 'utf8'), new RegExp(up.adminUrl));
    up.child.kill('SIGINT');
    await exited(up.child);
    assert.ok(existsSync(file));
    assert.doesNotMatch(await readFile(file, 'utf8'), new RegExp(up.adminUrl));
  });
});

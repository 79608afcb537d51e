import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeApi, type FakeRequest, errorAnswer, startFakeApi } from '../../client/fake-api.js';
import { runCli } from '../run-cli.js';

const KEY = 'schedule-cli-key';

function answer(req: FakeRequest) {
  switch (`${req.method} ${req.path}`) {
    case 'POST /v1/apps/shop/functions/nightly/schedule/run':
      return { status: 202, body: { eventId: 'ev-now', schedule: JSON.parse(req.body).schedule ?? '0 2 * * *' } };
    case 'POST /v1/apps/shop/functions/api/schedule/run':
      return errorAnswer(404, 'SCHEDULE_NOT_FOUND', 'shop/api has no schedule to run: it has no schedule trigger');
    default:
      return errorAnswer(404, 'NOT_FOUND', 'no such endpoint');
  }
}

describe('nimbus run-schedule', () => {
  let api: FakeApi;
  let tmp: string;
  const run = (args: string[]) => runCli(args, { cwd: tmp, env: { NIMBUS_URL: api.url, NIMBUS_KEY: KEY } });
  before(async () => {
    api = await startFakeApi(KEY, answer);
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-schedule-cli-'));
    await writeFile(join(tmp, 'nimbus.yaml'), 'app: shop\nfunctions: {}\n');
  });
  after(async () => {
    await api.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('fires the schedule of a function of the app in the current directory and prints the event id', async () => {
    const r = await run(['run-schedule', 'nightly']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ev-now\n');
    assert.match(r.stderr, /shop\/nightly "0 2 \* \* \*" fires now/);
    const json = await run(['run-schedule', 'shop/nightly', '--schedule', 'rate(1 hour)', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), { eventId: 'ev-now', schedule: 'rate(1 hour)' });
    assert.equal(api.requests.at(-1)!.body, '{"schedule":"rate(1 hour)"}');
  });

  it('prints the error of a function without a schedule and exits 1', async () => {
    const r = await run(['run-schedule', 'api']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error \[SCHEDULE_NOT_FOUND\]: shop\/api has no schedule/);
  });
});

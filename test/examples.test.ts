/** The example apps, deployed as the README's quick start does (`npm start`), work as their comments say. */
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { API_TS, HELLO_TS, manifestTemplate } from '../src/cli/commands/init-template.js';
import { deployDir } from '../src/client/index.js';
import { eventually, startTestNimbus, type TestNimbus } from './support/harness.js';

const example = (name: string) => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
const EXAMPLES = ['hello', 'signup', 'uploads', 'ci-webhook', 'nightly', 'support-inbox'];

describe('examples', () => {
  let n: TestNimbus;
  before(async () => {
    // As `npm start`: with an SMTP port for support-inbox.
    n = await startTestNimbus({ smtp: { port: 0 } });
    for (const name of EXAMPLES) await deployDir(n.client, example(name));
  });
  after(() => n.close());

  it('hello: serves the web-style hello with a path parameter', async () => {
    const res = await n.fetch('/hello/world');
    assert.equal(res.status, 200);
    assert.match(await res.text(), /world/);
    assert.match(res.headers.get('x-nimbus-invocation-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('hello: serves the Lambda-style echo on a {proxy+} route with query and body', async () => {
    const res = await n.fetch('/echo/a/b/c?x=1&x=2&y=3', { method: 'POST', body: '{"k":1}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body['method'], 'POST');
    assert.equal(body['path'], '/echo/a/b/c');
    assert.deepEqual(body['query'], { x: '1,2', y: '3' });
    assert.equal(body['body'], '{"k":1}');
  });

  it('hello: serves the CommonJS Lambda handler returning a plain object as 200 JSON', async () => {
    const res = await n.fetch('/time');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(typeof ((await res.json()) as Record<string, unknown>)['epochMs'], 'number');
  });

  it('signup: HTTP → KV → topic → welcome email in the outbox bucket', async () => {
    const res = await n.fetch('/signup', { method: 'POST', body: JSON.stringify({ email: 'ada@example.com', name: 'Ada' }) });
    assert.equal(res.status, 201);
    const stored = await n.fetch('/users/ada@example.com');
    assert.equal(((await stored.json()) as { name: string }).name, 'Ada');
    const email = await eventually(() => n.client.getObject('outbox', 'welcome/ada@example.com.txt').catch(() => undefined), 10_000, 'the welcome email');
    assert.match(email.body.toString(), /Welcome, Ada!/);
    assert.equal((await n.fetch('/signup', { method: 'POST', body: '{}' })).status, 400);
  });

  it('uploads: a bucket event makes transcode write the derived object', async () => {
    await n.client.putObject('uploads', 'images/cat.txt', 'meow', 'text/plain');
    await n.client.putObject('uploads', 'other/dog.txt', 'woof', 'text/plain');
    const derived = await eventually(() => n.client.getObject('derived', 'images/cat.txt').catch(() => undefined), 10_000, 'the derived object');
    assert.equal(derived.body.toString(), 'MEOW');
    await assert.rejects(n.client.getObject('derived', 'other/dog.txt'), /OBJECT_NOT_FOUND|no object/, 'keys outside images/ are not transcoded');
  });

  it('ci-webhook: a signed delivery is accepted and processed, an unsigned one refused', async () => {
    const body = JSON.stringify({ action: 'opened', number: 42 });
    const sig = `sha256=${createHmac('sha256', 'change-me').update(body).digest('hex')}`;
    const bad = await n.fetch('/hooks/ci', { method: 'POST', body, headers: { 'x-hub-signature-256': 'sha256=00' } });
    assert.equal(bad.status, 401);
    const ok = await n.fetch('/hooks/ci', { method: 'POST', body, headers: { 'x-hub-signature-256': sig } });
    assert.equal(ok.status, 202);
    const { invocationId } = (await ok.json()) as { invocationId: string };
    const record = await eventually(
      async () => {
        const r = await n.client.getInvocation(invocationId).catch(() => undefined);
        return r?.status === 'ok' ? r : undefined;
      },
      10_000,
      'the webhook delivery',
    );
    assert.equal(record.function, 'on-pull-request');
    const logs = await n.client.logs('ci-webhook', 'on-pull-request', { invocation: invocationId });
    assert.ok(logs.lines.some((l) => l.line.includes('pull request 42 opened')));
  });

  it('nightly: the report can be run by hand and writes to its bucket', async () => {
    const out = await n.client.invoke('nightly', 'report', {});
    assert.equal(out.status, 200);
    assert.match(out.body, /Nightly report/);
    const day = new Date().toISOString().slice(0, 10);
    assert.match((await n.client.getObject('reports', `daily/${day}.txt`)).body.toString(), /Nightly report/);
  });

  it('support-inbox: an email becomes a ticket in the bucket and a topic message triage reads', async () => {
    const { hostname, port } = new URL(n.smtpUrl!);
    const transport = nodemailer.createTransport({ host: hostname, port: Number(port), secure: false, ignoreTLS: true });
    const info = await transport.sendMail({
      from: 'ada@example.com',
      to: 'help@support.shop.example',
      subject: 'Site is down',
      text: 'Since this morning.',
      attachments: [{ filename: 'shot.txt', content: 'screen' }],
    });
    const key = `tickets/${info.messageId.replace(/[<>]/g, '')}`;
    const ticket = await eventually(() => n.client.getObject('tickets', `${key}.json`).catch(() => undefined), 15_000, 'the stored ticket');
    const stored = JSON.parse(ticket.body.toString()) as { from: string; subject: string; text: string; attachments: Array<{ filename: string; size: number }> };
    assert.deepEqual([stored.from, stored.subject, stored.text.trim()], ['ada@example.com', 'Site is down', 'Since this morning.']);
    assert.deepEqual(stored.attachments, [{ filename: 'shot.txt', contentType: 'text/plain', size: 6 }]);
    assert.match((await n.client.getObject('tickets', `${key}.eml`)).body.toString(), /Subject: Site is down/);
    await eventually(async () => (await n.client.logs('support-inbox', 'triage')).lines.some((l) => l.line.includes(`URGENT ticket ${key}`)), 15_000, 'the triage log line');
  });

  it('the `nimbus init` starter deploys beside every example and answers under its base path', async () => {
    const dir = await n.writeApp({ 'nimbus.yaml': manifestTemplate('starter'), 'src/hello.ts': HELLO_TS, 'src/api.ts': API_TS });
    await deployDir(n.client, dir);
    const res = await n.fetch('/starter/hello/world');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { message: 'Hello, world!' });
    const echo = await n.fetch('/starter/api/echo', { method: 'POST', body: '{"a":1}' });
    assert.equal(echo.status, 200, await echo.clone().text());
    // The examples keep their own routes.
    assert.match(await (await n.fetch('/hello/world')).text(), /world/);
  });
});

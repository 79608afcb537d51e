/**
 * Inbound email end to end, as a user sends it: a real SMTP client (nodemailer) against
 * `--smtp-port`, real sandboxes. A Lambda gets the SES-shaped event with the parsed body, a web
 * module `email(message)`; 552 over the size limit, 550 for an address no app claims, a
 * conflicting claim refused at deploy, and a message answered 250 survives `kill -9` of the node.
 */
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { deployDir } from '../src/client/index.js';
import { eventually, startTestNimbus, type TestNimbus } from './support/harness.js';
import { exited, startUp, type UpProcess } from './support/up.js';

const MANIFEST = `app: mail
functions:
  orders:
    handler: src/orders.handler
    bindings: { OUT: { bucket: mail-out, access: write } }
    triggers:
      - email: Orders@Shop.Example
  support:
    handler: src/support.mjs
    bindings: { OUT: { bucket: mail-out, access: write } }
    triggers:
      - email: "*@support.shop.example"
`;
// Lambda style: what it got, stored whole.
const ORDERS = `export const handler = async (event, context) => {
  await context.env.OUT.put('lambda.json', JSON.stringify(event));
};
`;
// Web style (Email Workers): the message's fields, the raw stream read back.
const SUPPORT = `export default {
  async email(message, env) {
    const raw = await new Response(message.raw).text();
    await env.OUT.put('web-' + message.to + '.json', JSON.stringify({
      from: message.from, to: message.to, subject: message.subject, text: message.text, html: message.html,
      attachments: message.attachments, rawSize: message.rawSize, rawLength: raw.length, rawHasSubject: raw.includes('Subject: Ticket'),
      headerSubject: message.headers.get('subject'),
    }));
  },
};
`;

const mailer = (smtpUrl: string) => {
  const { hostname, port } = new URL(smtpUrl);
  return nodemailer.createTransport({ host: hostname, port: Number(port), secure: false, ignoreTLS: true });
};
const attachment = { filename: 'report.bin', content: Buffer.from([0, 1, 2, 250, 251, 252]), contentType: 'application/octet-stream' };

describe('email trigger', () => {
  let n: TestNimbus;
  before(async () => {
    n = await startTestNimbus({ smtp: { port: 0 } });
    await n.deploy({ 'nimbus.yaml': MANIFEST, 'src/orders.mjs': ORDERS, 'src/support.mjs': SUPPORT });
  });
  after(() => n.close());

  it('delivers an SES-shaped event with the parsed body to a Lambda handler', async () => {
    const info = await mailer(n.smtpUrl!).sendMail({
      from: 'Ada <ada@example.com>',
      to: 'orders@shop.example',
      subject: 'Order 42',
      text: 'Two boxes, please.',
      html: '<p>Two <b>boxes</b></p>',
      attachments: [attachment],
    });
    assert.match(info.response, /^250 /);
    const stored = await eventually(() => n.client.getObject('mail-out', 'lambda.json').catch(() => undefined), 15_000, 'the Lambda run');
    const event = JSON.parse(stored.body.toString()) as { Records: Array<{ eventSource: string; ses: Record<string, Record<string, unknown>> }> };
    const record = event.Records[0]!;
    assert.equal(record.eventSource, 'aws:ses');
    const { mail, receipt, content } = record.ses as { mail: Record<string, unknown>; receipt: Record<string, unknown>; content: Record<string, unknown> };
    assert.equal(mail['source'], 'ada@example.com');
    assert.deepEqual(mail['destination'], ['orders@shop.example']);
    assert.equal(mail['messageId'], info.messageId.replace(/^<|>$/g, ''));
    const common = mail['commonHeaders'] as Record<string, unknown>;
    assert.deepEqual(common['from'], ['Ada <ada@example.com>']);
    assert.deepEqual(common['to'], ['orders@shop.example']);
    assert.equal(common['subject'], 'Order 42');
    assert.equal(common['messageId'], info.messageId);
    assert.ok((mail['headers'] as Array<{ name: string; value: string }>).some((h) => h.name === 'Subject' && h.value === 'Order 42'));
    assert.deepEqual(receipt['recipients'], ['orders@shop.example']);
    assert.equal((content['text'] as string).trim(), 'Two boxes, please.');
    assert.equal((content['html'] as string).trim(), '<p>Two <b>boxes</b></p>');
    const [att] = content['attachments'] as Array<{ filename: string; contentType: string; size: number; content: string }>;
    assert.deepEqual([att!.filename, att!.contentType, att!.size], ['report.bin', 'application/octet-stream', 6]);
    assert.deepEqual([...Buffer.from(att!.content, 'base64')], [0, 1, 2, 250, 251, 252]);
  });

  it('delivers to a web module’s email(message) through a *@domain pattern, once per recipient', async () => {
    const info = await mailer(n.smtpUrl!).sendMail({
      from: 'bob@example.com',
      to: ['help@support.shop.example', 'billing@support.shop.example'],
      subject: 'Ticket 7',
      text: 'It broke.',
      html: '<i>It broke.</i>',
      attachments: [attachment],
    });
    assert.match(info.response, /^250 /);
    for (const to of ['help@support.shop.example', 'billing@support.shop.example']) {
      const stored = await eventually(() => n.client.getObject('mail-out', `web-${to}.json`).catch(() => undefined), 15_000, `the web run for ${to}`);
      const got = JSON.parse(stored.body.toString()) as Record<string, unknown>;
      assert.equal(got['from'], 'bob@example.com');
      assert.equal(got['to'], to);
      assert.equal(got['subject'], 'Ticket 7');
      assert.equal(got['headerSubject'], 'Ticket 7');
      assert.equal((got['text'] as string).trim(), 'It broke.');
      assert.equal((got['html'] as string).trim(), '<i>It broke.</i>');
      assert.equal(got['rawHasSubject'], true);
      assert.equal(got['rawLength'], got['rawSize']);
      const [att] = got['attachments'] as Array<{ filename: string; size: number; content: string }>;
      assert.deepEqual([att!.filename, att!.size, Buffer.from(att!.content, 'base64').length], ['report.bin', 6, 6]);
    }
  });

  it('refuses a message over 10 MB with 552 and an unknown recipient with 550', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 'a');
    await assert.rejects(
      mailer(n.smtpUrl!).sendMail({ from: 'a@example.com', to: 'orders@shop.example', subject: 'big', text: 'x', attachments: [{ filename: 'big.txt', content: big }] }),
      (err: { responseCode?: number }) => err.responseCode === 552,
    );
    await assert.rejects(mailer(n.smtpUrl!).sendMail({ from: 'a@example.com', to: 'nobody@shop.example', subject: 'hi', text: 'x' }), (err: { responseCode?: number }) => err.responseCode === 550);
  });

  it('refuses at deploy an address another app claims, and a malformed address', async () => {
    const other = await n.writeApp({ 'nimbus.yaml': 'app: thief\nfunctions:\n  take:\n    handler: src/take.mjs\n    triggers:\n      - email: orders@shop.example\n', 'src/take.mjs': SUPPORT });
    await assert.rejects(deployDir(n.client, other), /RESOURCE_CONFLICT|email address "orders@shop.example".*belongs to app "mail"/);
    const bad = await n.writeApp({ 'nimbus.yaml': 'app: bad\nfunctions:\n  take:\n    handler: src/take.mjs\n    triggers:\n      - email: orders@*.example\n', 'src/take.mjs': SUPPORT });
    await assert.rejects(deployDir(n.client, bad), /not a domain name/);
  });
});

describe('email durability', () => {
  let tmp: string;
  const running: UpProcess[] = [];
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'nimbus-email-'));
    await mkdir(join(tmp, 'app', 'src'), { recursive: true });
    // The first attempt marks itself and never finishes; the node is killed meanwhile. A later
    // attempt (after the restart) finds the mark and completes.
    await writeFile(
      join(tmp, 'app', 'nimbus.yaml'),
      'app: durable\nfunctions:\n  inbox:\n    handler: src/inbox.mjs\n    timeout: 300\n    bindings: { OUT: { bucket: durable-out, access: readwrite } }\n    triggers:\n      - email: keep@shop.example\n',
    );
    await writeFile(
      join(tmp, 'app', 'src', 'inbox.mjs'),
      `export default {
  async email(message, env) {
    if (!(await env.OUT.head('started'))) {
      await env.OUT.put('started', message.subject);
      await new Promise(() => {});
    }
    await env.OUT.put('done', message.subject + ' / ' + message.text.trim());
  },
};
`,
    );
  });
  after(async () => {
    for (const u of running) if (u.child.exitCode === null && u.child.signalCode === null) u.child.kill('SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  });

  it('delivers a message answered 250 after a kill -9 of the node and a restart on the same data dir', async () => {
    const first = await startUp(tmp, ['--data-dir', 'data', '--smtp-port', '0', '--deploy', 'app']);
    running.push(first);
    const info = await mailer(first.smtpUrl!).sendMail({ from: 'a@example.com', to: 'keep@shop.example', subject: 'Keep me', text: 'safe' });
    assert.match(info.response, /^250 /);
    await eventually(() => first.client.getObject('durable-out', 'started').catch(() => undefined), 15_000, 'the first attempt');
    first.child.kill('SIGKILL');
    await exited(first.child);
    await assert.rejects(first.client.getObject('durable-out', 'done'), 'the first attempt did not finish');

    const second = await startUp(tmp, ['--data-dir', 'data', '--smtp-port', '0']);
    running.push(second);
    const done = await eventually(() => second.client.getObject('durable-out', 'done').catch(() => undefined), 20_000, 'the delivery after the restart');
    assert.equal(done.body.toString(), 'Keep me / safe');
    second.child.kill('SIGINT');
    await exited(second.child);
  });
});

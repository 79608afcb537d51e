/**
 * The SMTP side of the email source against real clients: nodemailer for a normal message, and a
 * raw socket where a client would hide what it does (SIZE, pipelining past the limits).
 */
import { strict as assert } from 'node:assert';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import type { EnqueueResult, NewEvent } from '../../../queue/port.js';
import { FakeClock } from '../../../shared/clock.js';
import type { EmailPayload } from '../../../sandbox/email.js';
import { functionWith } from '../contract.js';
import { emailSource, type EmailSource } from './source.js';
import type { SmtpLimits } from './server.js';

/** A line-based SMTP conversation: each `say` resolves with the server's (last-line) reply. */
class RawSmtp {
  private buffer = '';
  private waiting: ((reply: string) => void) | undefined;
  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8').on('data', (d: string) => {
      this.buffer += d;
      this.flush();
    });
  }
  static async open(port: number): Promise<{ smtp: RawSmtp; greeting: string }> {
    const socket = connect(port, '127.0.0.1');
    const smtp = new RawSmtp(socket);
    return { smtp, greeting: await smtp.next() };
  }
  private flush(): void {
    // A complete reply ends with a line "NNN text" (a space after the code).
    const m = /(^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(this.buffer);
    if (!m || !this.waiting) return;
    const end = m.index + m[0].length;
    const reply = this.buffer.slice(0, end);
    this.buffer = this.buffer.slice(end);
    const w = this.waiting;
    this.waiting = undefined;
    w(reply.trim().split('\r\n').pop()!);
  }
  next(): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.flush();
    });
  }
  say(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.next();
  }
  write(data: string): void {
    this.socket.write(data);
  }
  close(): void {
    this.socket.destroy();
  }
}

describe('email source (SMTP)', () => {
  let source: EmailSource | undefined;
  const sockets: RawSmtp[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await source?.close();
  });

  async function start(enqueue: (events: NewEvent[]) => Promise<EnqueueResult[]>, limits: Partial<SmtpLimits> = {}) {
    source = emailSource({ queue: { enqueue }, clock: new FakeClock(Date.parse('2026-11-30T12:00:00Z')), host: '127.0.0.1', port: 0, limits, log: () => {} });
    source.setFunctions([functionWith([{ type: 'email', address: 'orders@shop.example' }], 'shop', 'orders'), functionWith([{ type: 'email', address: '*@support.shop.example' }], 'help', 'inbox')]);
    await source.start();
    return source.port()!;
  }
  const raw = async (port: number) => {
    const { smtp, greeting } = await RawSmtp.open(port);
    sockets.push(smtp);
    assert.match(greeting, /^220 /);
    return smtp;
  };

  it('answers 250 only once the events are committed, one per routed recipient, with the parsed body', async () => {
    let release!: () => void;
    const committed: NewEvent[] = [];
    const port = await start(async (events) => {
      await new Promise<void>((r) => (release = r));
      committed.push(...events);
      return events.map((e) => ({ id: e.id, duplicate: false }));
    });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    let answered = false;
    const sent = transport
      .sendMail({
        from: 'Ada <ada@example.com>',
        to: ['orders@shop.example', 'Help@Support.Shop.Example'],
        subject: 'Order 7',
        text: 'plain',
        html: '<b>rich</b>',
        attachments: [{ filename: 'invoice.txt', content: 'INVOICE' }],
      })
      .finally(() => (answered = true));
    while (release === undefined) await new Promise((r) => setTimeout(r, 5));
    assert.equal(answered, false, 'no answer before the commit');
    release();
    const info = await sent;
    assert.match(info.response, /^250 /);
    assert.deepEqual(
      committed.map((e) => [e.target.function, e.source, e.shape, e.origin]),
      [
        ['orders', 'email', 'email', 'orders@shop.example'],
        ['inbox', 'email', 'email', 'help@support.shop.example'],
      ],
    );
    const p = committed[0]!.payload as EmailPayload;
    assert.equal(p.from, 'ada@example.com');
    assert.equal(p.to, 'orders@shop.example');
    assert.deepEqual(
      p.destination.map((d) => d.toLowerCase()),
      ['orders@shop.example', 'help@support.shop.example'],
    );
    assert.equal(p.subject, 'Order 7');
    assert.equal(p.text?.trim(), 'plain');
    assert.equal(p.html?.trim(), '<b>rich</b>');
    assert.deepEqual(
      p.attachments.map((a) => [a.filename, a.contentType, a.size, Buffer.from(a.content, 'base64').toString()]),
      [['invoice.txt', 'text/plain', 7, 'INVOICE']],
    );
    assert.deepEqual(p.commonHeaders.from, ['Ada <ada@example.com>']);
    assert.equal(p.messageId, info.messageId.replace(/^<|>$/g, ''));
    assert.equal(p.timestamp, '2026-11-30T12:00:00.000Z');
    assert.equal(Buffer.from(p.raw, 'base64').length, p.rawSize);
    assert.match(Buffer.from(p.raw, 'base64').toString(), /Subject: Order 7/);
    assert.equal(committed[0]!.idempotencyKey, `email:${info.messageId}:orders@shop.example`);
  });

  it('refuses an unknown recipient at RCPT TO with 550, and too many recipients with 452', async () => {
    const port = await start(() => Promise.reject(new Error('nothing should be queued')), { maxRecipients: 1 });
    const smtp = await raw(port);
    assert.match(await smtp.say('EHLO test'), /^250 /);
    assert.match(await smtp.say('MAIL FROM:<a@example.com>'), /^250 /);
    assert.match(await smtp.say('RCPT TO:<nobody@shop.example>'), /^550 /);
    assert.match(await smtp.say('RCPT TO:<orders@shop.example>'), /^250 /);
    assert.match(await smtp.say('RCPT TO:<x@support.shop.example>'), /^452 /);
  });

  it('announces SIZE, and refuses an oversized message with 552 at MAIL FROM and while streaming', async () => {
    let queued = 0;
    const port = await start(
      (events) => {
        queued += events.length;
        return Promise.resolve(events.map((e) => ({ id: e.id, duplicate: false })));
      },
      { maxMessageBytes: 1000 },
    );
    const smtp = await raw(port);
    smtp.write('EHLO test\r\n');
    const ehlo = await smtp.next();
    assert.match(ehlo, /^250 /);
    assert.match(await smtp.say('MAIL FROM:<a@example.com> SIZE=5000'), /^552 /);
    // A client that does not say its size finds out at the end of DATA.
    assert.match(await smtp.say('MAIL FROM:<a@example.com>'), /^250 /);
    assert.match(await smtp.say('RCPT TO:<orders@shop.example>'), /^250 /);
    assert.match(await smtp.say('DATA'), /^354 /);
    assert.match(await smtp.say(`Subject: big\r\n\r\n${'x'.repeat(2000)}\r\n.`), /^552 /);
    assert.equal(queued, 0);
    // The connection is still usable for a message within the limit.
    assert.match(await smtp.say('MAIL FROM:<a@example.com>'), /^250 /);
    assert.match(await smtp.say('RCPT TO:<orders@shop.example>'), /^250 /);
    assert.match(await smtp.say('DATA'), /^354 /);
    assert.match(await smtp.say('Subject: small\r\n\r\nok\r\n.'), /^250 /);
    assert.equal(queued, 1);
  });

  it('says 451 when the queue fails, and 421 past the messages allowed on one connection', async () => {
    let fail = true;
    const port = await start((events) => (fail ? Promise.reject(new Error('disk full')) : Promise.resolve(events.map((e) => ({ id: e.id, duplicate: false })))), { maxMessagesPerConnection: 2 });
    const smtp = await raw(port);
    await smtp.say('EHLO test');
    const send = async () => {
      const from = await smtp.say('MAIL FROM:<a@example.com>');
      if (!from.startsWith('250')) return from;
      await smtp.say('RCPT TO:<orders@shop.example>');
      await smtp.say('DATA');
      return smtp.say('Subject: s\r\n\r\nbody\r\n.');
    };
    assert.match(await send(), /^451 /);
    fail = false;
    assert.match(await send(), /^250 /);
    assert.match(await send(), /^421 /);
  });

  it('bounds the connections open at once', async () => {
    const port = await start(() => Promise.resolve([]), { maxConnections: 1 });
    await raw(port);
    const { smtp, greeting } = await RawSmtp.open(port);
    sockets.push(smtp);
    assert.match(greeting, /^421 /);
  });
});

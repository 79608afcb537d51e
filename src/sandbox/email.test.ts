import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { emailPayload, sesEvent, webEmailMessage, type EmailPayload } from './email.js';

const raw = 'Subject: Grüße\r\nFrom: ada@example.com\r\n\r\nhi\r\n';
const payload: EmailPayload = {
  messageId: 'm1@example.com',
  timestamp: '2026-11-30T12:00:00.000Z',
  from: 'ada@example.com',
  to: 'orders@shop.example',
  destination: ['orders@shop.example', 'x@shop.example'],
  headers: [
    { name: 'Subject', value: 'Grüße €' },
    { name: 'From', value: 'ada@example.com' },
  ],
  commonHeaders: { from: ['ada@example.com'], subject: 'Grüße €' },
  subject: 'Grüße €',
  text: 'hi',
  html: null,
  attachments: [{ filename: 'a.txt', contentType: 'text/plain', size: 2, content: 'aGk=', disposition: 'attachment' }],
  raw: Buffer.from(raw).toString('base64'),
  rawSize: Buffer.byteLength(raw),
};

describe('email shapes', () => {
  it('gives a Lambda an SES receipt event for its one recipient, with the parsed body in ses.content', () => {
    const [record] = sesEvent(payload, { app: 'shop', name: 'orders', version: 3, memory: 128, handlerExport: 'handler' }).Records;
    assert.equal(record!.eventSource, 'aws:ses');
    assert.deepEqual(record!.ses.mail.destination, payload.destination);
    assert.deepEqual(record!.ses.receipt.recipients, ['orders@shop.example']);
    assert.equal(record!.ses.receipt.action.functionArn, 'arn:nimbus:lambda:local:000000000000:function:shop-orders');
    assert.equal(record!.ses.content.attachments[0]!.filename, 'a.txt');
  });

  it('gives a web module an Email Workers message whose raw stream and headers read back', async () => {
    const message = webEmailMessage(emailPayload(payload));
    assert.equal(message.to, 'orders@shop.example');
    assert.equal(await new Response(message.raw).text(), raw);
    assert.equal(message.rawSize, Buffer.byteLength(raw));
    // Beyond Latin-1, Headers holds the UTF-8 bytes (a ByteString), as a raw 8-bit header is.
    assert.equal(Buffer.from(message.headers.get('subject')!, 'latin1').toString('utf8'), 'Grüße €');
    assert.throws(() => emailPayload({ to: 1 }), /malformed email event/);
  });
});

/**
 * The `email` event shape: what the host's SMTP source queues for one routed recipient
 * (`EmailPayload`, parsed on the host with postal-mime when the message was accepted), and what
 * handlers get from it: an SES receipt event (plus `ses.content`: the parsed body SES omits) for
 * Lambda handlers, a Cloudflare-style `EmailMessage` for `email(message, env, ctx)`.
 */
import type { EmailAttachment, EmailMessage, SESEvent } from '../types/events.js';
import type { FunctionMeta } from './protocol.js';

export interface EmailPayload {
  /** The Message-ID header without angle brackets, or one the node made up. */
  messageId: string;
  /** ISO time the node accepted it. */
  timestamp: string;
  /** Envelope sender (MAIL FROM; '' for a bounce's null sender). */
  from: string;
  /** The envelope recipient this event is for. */
  to: string;
  /** Every envelope recipient of the message. */
  destination: string[];
  /** Header fields in order, values unfolded and otherwise as received. */
  headers: Array<{ name: string; value: string }>;
  commonHeaders: SESEvent['Records'][number]['ses']['mail']['commonHeaders'];
  subject: string;
  text: string | null;
  html: string | null;
  attachments: EmailAttachment[];
  /** The message as received, base64. */
  raw: string;
  rawSize: number;
}

export function emailPayload(event: unknown): EmailPayload {
  const p = event as Partial<EmailPayload> | null;
  if (!p || typeof p.to !== 'string' || typeof p.raw !== 'string' || !Array.isArray(p.headers)) throw new TypeError('malformed email event: expected { from, to, headers, raw, … }');
  return p as EmailPayload;
}

/** The SES receipt event of a Lambda handler (an S3-less "Lambda action"). */
export function sesEvent(p: EmailPayload, fn: FunctionMeta): SESEvent {
  const disabled = { status: 'DISABLED' } as const;
  return {
    Records: [
      {
        eventSource: 'aws:ses',
        eventVersion: '1.0',
        ses: {
          mail: { timestamp: p.timestamp, source: p.from, messageId: p.messageId, destination: p.destination, headersTruncated: false, headers: p.headers, commonHeaders: p.commonHeaders },
          receipt: {
            timestamp: p.timestamp,
            processingTimeMillis: 0,
            recipients: [p.to],
            spamVerdict: disabled,
            virusVerdict: disabled,
            spfVerdict: disabled,
            dkimVerdict: disabled,
            dmarcVerdict: disabled,
            action: { type: 'Lambda', functionArn: `arn:nimbus:lambda:local:000000000000:function:${fn.app}-${fn.name}`, invocationType: 'Event' },
          },
          content: { text: p.text, html: p.html, attachments: p.attachments, raw: p.raw, rawSize: p.rawSize },
        },
      },
    ],
  };
}

/** The message a web module's `email(message, env, ctx)` gets. */
export function webEmailMessage(p: EmailPayload): EmailMessage {
  const headers = new Headers();
  // A header of 8-bit bytes decoded as UTF-8 is no ByteString; Headers gets its bytes back.
  for (const h of p.headers) headers.append(h.name, /[\u{100}-\u{10ffff}]/u.test(h.value) ? Buffer.from(h.value, 'utf8').toString('latin1') : h.value);
  const bytes = Buffer.from(p.raw, 'base64');
  let raw: ReadableStream<Uint8Array> | undefined;
  return Object.freeze({
    from: p.from,
    to: p.to,
    headers,
    subject: p.subject,
    text: p.text,
    html: p.html,
    attachments: Object.freeze(p.attachments.map((a) => Object.freeze({ ...a }))),
    // Made when first read: most handlers never touch it.
    get raw() {
      return (raw ??= new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new Uint8Array(bytes));
          c.close();
        },
      }));
    },
    rawSize: p.rawSize,
  });
}

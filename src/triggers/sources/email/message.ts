/**
 * An accepted message → the `email` events' payload (src/sandbox/email.ts), parsed here on the
 * host once, with postal-mime, so every recipient's delivery (and every retry) reads the same
 * parsed body and the sandbox needs no MIME parser.
 */
import { randomUUID } from 'node:crypto';
import PostalMime, { type Address } from 'postal-mime';
import type { EmailPayload } from '../../../sandbox/email.js';

export interface Envelope {
  /** MAIL FROM ('' for the null sender of a bounce). */
  from: string;
  /** Every RCPT TO. */
  to: string[];
}

/** The payload without its recipient (`to`): one per message, copied per routed recipient. */
export type ParsedEmail = Omit<EmailPayload, 'to'>;

export async function parseEmail(raw: Buffer, envelope: Envelope, now: Date): Promise<ParsedEmail> {
  const email = await PostalMime.parse(raw, { attachmentEncoding: 'base64' });
  const headers = email.headers.map((h) => ({ name: h.originalKey, value: h.value }));
  const header = (key: string): string | undefined => email.headers.find((h) => h.key === key)?.value;
  const headerId = email.messageId?.trim();
  const common: ParsedEmail['commonHeaders'] = {};
  if (email.from) common.from = addresses([email.from]);
  if (email.to) common.to = addresses(email.to);
  if (email.cc) common.cc = addresses(email.cc);
  if (email.replyTo) common.replyTo = addresses(email.replyTo);
  if (email.subject !== undefined) common.subject = email.subject;
  if (headerId) common.messageId = headerId;
  // As SES: the Date header as written, not reformatted.
  const date = header('date');
  if (date !== undefined) common.date = date;
  if (email.returnPath) common.returnPath = email.returnPath;
  return {
    messageId: headerId ? headerId.replace(/^<|>$/g, '') : `${randomUUID()}@nimbus`,
    timestamp: now.toISOString(),
    from: envelope.from,
    destination: envelope.to,
    headers,
    commonHeaders: common,
    subject: email.subject ?? '',
    text: email.text ?? null,
    html: email.html ?? null,
    attachments: email.attachments.map((a) => {
      const content = typeof a.content === 'string' ? a.content : Buffer.from(a.content as ArrayBuffer).toString('base64');
      return {
        filename: a.filename,
        contentType: a.mimeType,
        size: Buffer.byteLength(content, 'base64'),
        content,
        disposition: a.disposition,
        ...(a.contentId ? { contentId: a.contentId } : {}),
      };
    }),
    raw: raw.toString('base64'),
    rawSize: raw.length,
  };
}

/** `Name <a@b>` strings, groups flattened, as SES's commonHeaders. */
function addresses(list: Address[]): string[] {
  return list.flatMap((a) => (a.group ? a.group : [a])).map((m) => (m.name ? `${m.name} <${m.address}>` : m.address));
}

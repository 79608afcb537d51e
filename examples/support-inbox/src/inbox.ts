// Web style (as Cloudflare Email Workers): one call per recipient; throwing retries the delivery.
import type { Bucket, EmailMessage, Topic } from 'nimbus/types';

interface Env {
  TICKETS: Bucket;
  NEW_TICKETS: Topic;
}

export default {
  async email(message: EmailMessage, env: Env): Promise<void> {
    // The Message-ID makes the key stable, so a redelivery overwrites instead of duplicating.
    const id = (message.headers.get('message-id') ?? crypto.randomUUID()).replace(/[<>]/g, '').replace(/[^A-Za-z0-9@._-]/g, '_');
    const key = `tickets/${id}`;
    const ticket = {
      from: message.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      attachments: message.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size })),
      receivedAt: new Date().toISOString(),
    };
    // The raw message first: a ticket's .json appears only once its .eml is there.
    await env.TICKETS.put(`${key}.eml`, await new Response(message.raw).arrayBuffer(), { contentType: 'message/rfc822' });
    await env.TICKETS.put(`${key}.json`, JSON.stringify(ticket, null, 2), { contentType: 'application/json' });
    await env.NEW_TICKETS.publish({ key, from: message.from, to: message.to, subject: message.subject });
    console.log(`ticket ${key} from ${message.from}: ${message.subject}`);
  },
};

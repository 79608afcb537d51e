/**
 * A topic message with attributes, as it waits in the durable queue. The event payload of a topic
 * message is the message itself (any JSON); one published with attributes is stored wrapped in an
 * envelope under a key no caller's message uses by accident, and unwrapped when it is delivered
 * (batch.ts). Messages without attributes are stored as before, so older queues read the same.
 */

/** Message attributes: names to string values (SNS `MessageAttributes`, SQS `messageAttributes`). */
export type MessageAttributes = Record<string, string>;

const ENVELOPE = 'nimbus:message';

interface Envelope {
  [ENVELOPE]: 1;
  body: unknown;
  attributes: MessageAttributes;
}

/** The payload to store for `body` published with `attributes`. */
export function wrapMessage(body: unknown, attributes: MessageAttributes | undefined): unknown {
  if (attributes === undefined || Object.keys(attributes).length === 0) return body;
  const envelope: Envelope = { [ENVELOPE]: 1, body, attributes };
  return envelope;
}

/** A stored payload back as the message and its attributes (none for a plain one). */
export function unwrapMessage(payload: unknown): { body: unknown; attributes?: MessageAttributes } {
  if (payload !== null && typeof payload === 'object' && (payload as Partial<Envelope>)[ENVELOPE] === 1) {
    const e = payload as Envelope;
    return { body: e.body, attributes: e.attributes };
  }
  return { body: payload };
}

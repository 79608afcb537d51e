/**
 * Message attributes a publish may set (`env.TOPIC.publish(body, { attributes })`, the control
 * API's `X-Nimbus-Attributes`, `nimbus publish --attribute k=v`): string values under names as SNS
 * allows them, within SNS's count. Checked here for every way in, with one error code.
 */
import { z } from 'zod';
import type { MessageAttributes } from '../queue/message.js';
import { BINDING_LIMITS } from '../sandbox/protocol.js';
import { NimbusError } from '../shared/errors.js';

const NAME = /^[A-Za-z0-9_\-.]{1,256}$/;

export const messageAttributesSchema = z
  .record(z.string().regex(NAME, 'an attribute name is 1-256 letters, digits, "_", "-" or "."'), z.string().max(BINDING_LIMITS.topicAttributeValueBytes))
  .refine((a) => Object.keys(a).length <= BINDING_LIMITS.topicAttributes, `a message has at most ${BINDING_LIMITS.topicAttributes} attributes`);

/** `value` as attributes, or BAD_REQUEST saying what is wrong. */
export function parseAttributes(value: unknown, where: string): MessageAttributes {
  const parsed = messageAttributesSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'attributes'}: ${i.message}`).join('; ');
  throw new NimbusError('BAD_REQUEST', `${where}: message attributes must be an object of string values (${detail})`);
}

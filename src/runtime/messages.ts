/** zod schemas for what a sandbox sends: its messages are untrusted input. */
import { z } from 'zod';
import type { SandboxMessage } from '../sandbox/protocol.js';

const error = z.object({ name: z.string(), message: z.string(), stack: z.string().optional() });
const response = z.object({
  status: z.number().int().min(100).max(599),
  headers: z.array(z.tuple([z.string(), z.string()])),
  body: z.string(),
  b64: z.boolean(),
});

export const sandboxMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('ready'), rss: z.number() }),
  z.object({ t: z.literal('loaded'), initMs: z.number(), style: z.enum(['web', 'lambda']) }),
  z.object({ t: z.literal('loadError'), error }),
  z.object({ t: z.literal('log'), id: z.string().nullable(), s: z.union([z.literal(1), z.literal(2)]), line: z.string() }),
  z.object({ t: z.literal('done'), id: z.string(), res: response.optional(), value: z.unknown().optional(), rss: z.number(), pending: z.boolean().optional() }),
  z.object({ t: z.literal('error'), id: z.string(), code: z.enum(['FUNCTION_ERROR', 'INVALID_RESPONSE', 'RESPONSE_TOO_LARGE']), error, rss: z.number() }),
  z.object({ t: z.literal('settled'), id: z.string() }),
]);

// Keeps the zod schema and the protocol's TypeScript type from drifting apart.
type Parsed = z.infer<typeof sandboxMessageSchema>;
const _sameShape: (m: Parsed) => SandboxMessage = (m) => m;
void _sameShape;

export function parseSandboxMessage(value: unknown): SandboxMessage | undefined {
  const parsed = sandboxMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** zod schemas for what a sandbox sends: its messages are untrusted input. */
import { z } from 'zod';
import type { SandboxMessage } from '../sandbox/protocol.js';
import { STREAM_CHUNK_BYTES } from '../sandbox/protocol.js';

/** A chunk's data: STREAM_CHUNK_BYTES of UTF-8 text, or of bytes in base64 (4 characters per 3). */
const MAX_CHUNK_CHARS = Math.ceil(STREAM_CHUNK_BYTES / 3) * 4;

const error = z.object({ name: z.string(), message: z.string(), stack: z.string().optional(), at: z.string().max(1024).optional() });
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
  z.object({
    t: z.literal('done'),
    id: z.string(),
    res: response.optional(),
    value: z.unknown().optional(),
    rss: z.number(),
    pending: z.boolean().optional(),
    retry: z.array(z.string()).optional(),
    ms: z.number().optional(),
    cpu: z.number().optional(),
  }),
  z.object({
    t: z.literal('error'),
    id: z.string(),
    code: z.enum(['FUNCTION_ERROR', 'INVALID_RESPONSE', 'RESPONSE_TOO_LARGE']),
    error,
    rss: z.number(),
    ms: z.number().optional(),
    cpu: z.number().optional(),
  }),
  z.object({ t: z.literal('settled'), id: z.string() }),
  // Binding calls: only the envelope here; each op's arguments are checked by the BindingHost.
  z.object({ t: z.literal('call'), cid: z.number().int().nonnegative(), inv: z.string().nullable(), binding: z.string().max(256), op: z.string().max(64), args: z.array(z.unknown()) }),
  z.object({ t: z.literal('part'), cid: z.number().int().nonnegative(), data: z.string() }),
  // Streamed responses (the gateway checks the status and headers again before writing them).
  z.object({ t: z.literal('head'), id: z.string(), status: z.number().int().min(100).max(599), headers: z.array(z.tuple([z.string(), z.string()])) }),
  z.object({ t: z.literal('chunk'), id: z.string(), data: z.string().max(MAX_CHUNK_CHARS), b64: z.boolean() }),
  z.object({ t: z.literal('end'), id: z.string(), rss: z.number(), pending: z.boolean().optional(), ms: z.number().optional(), cpu: z.number().optional() }),
]);

// Keeps the zod schema and the protocol's TypeScript type from drifting apart.
type Parsed = z.infer<typeof sandboxMessageSchema>;
const _sameShape: (m: Parsed) => SandboxMessage = (m) => m;
void _sameShape;

export function parseSandboxMessage(value: unknown): SandboxMessage | undefined {
  if (isPlainDone(value)) return value;
  const parsed = sandboxMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The hot path: the common `done` answer to an HTTP invocation, checked by hand to the same
 * rules as the schema (it is most of the traffic; zod costs several µs a message). Anything
 * else, or anything unusual in it, goes through the schema.
 */
function isPlainDone(v: unknown): v is SandboxMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  if (m['t'] !== 'done' || typeof m['id'] !== 'string' || typeof m['rss'] !== 'number' || 'value' in m || 'pending' in m) return false;
  if (typeof m['ms'] !== 'number' || typeof m['cpu'] !== 'number') return false;
  const keys = Object.keys(m);
  if (keys.length !== 6 || !('res' in m)) return false;
  const res = m['res'] as Record<string, unknown> | null;
  if (typeof res !== 'object' || res === null || Object.keys(res).length !== 4) return false;
  const status = res['status'];
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) return false;
  if (typeof res['body'] !== 'string' || typeof res['b64'] !== 'boolean' || !Array.isArray(res['headers'])) return false;
  for (const h of res['headers'] as unknown[]) {
    if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string' || typeof h[1] !== 'string') return false;
  }
  return true;
}

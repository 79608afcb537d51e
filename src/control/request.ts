/** Reading a control-API request's JSON body (the route table validates what it holds). */
import type { IncomingMessage } from 'node:http';
import { NimbusError } from '../shared/errors.js';
import { readBody } from '../shared/http.js';

/** The request body parsed as JSON (undefined when empty), BAD_REQUEST when it is not JSON. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    // Not V8's message: it quotes the body, and a body may hold a secret or a key.
    throw new NimbusError('BAD_REQUEST', 'the request body is not valid JSON');
  }
}

/**
 * What every control-API endpoint module shares: the route types and the request helpers. Kept
 * apart from api.ts so that the endpoint modules (events-routes.ts, storage-routes.ts) and the
 * server that registers them do not import each other.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type FindMyWay from 'find-my-way';
import { NimbusError } from '../shared/errors.js';
import { readBody } from '../shared/http.js';

export type Params = Record<string, string | undefined>;
export type RouteHandler = (ctx: { req: IncomingMessage; res: ServerResponse; params: Params; query: URLSearchParams }) => Promise<void>;

/** Adds endpoints to the control API; each subsystem's endpoints live in their own module. */
export type RouteModule = (route: (method: FindMyWay.HTTPMethod, path: string, handler: RouteHandler) => void) => void;

/** A numeric query parameter: undefined when absent or empty, BAD_REQUEST when not a number. */
export function num(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new NimbusError('BAD_REQUEST', `expected a number, got "${value}"`);
  return n;
}

/** The request body parsed as JSON (undefined when empty), BAD_REQUEST when it is not JSON. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new NimbusError('BAD_REQUEST', `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Control-API endpoints of app secrets (README, "Secrets"): list names, set, remove, and rotate
 * the master key. Thin on purpose: each validates its body and calls the `Secrets` service, so it
 * ports to a declarative route table as is. No answer ever holds a value.
 */
import { z } from 'zod';
import type { Secrets } from '../secrets/index.js';
import { parseMasterKey } from '../secrets/index.js';
import { NimbusError } from '../shared/errors.js';
import { sendJson } from '../shared/http.js';
import { readJson, type RouteModule } from './route-module.js';

/** A 64 KB value as JSON, escapes included, with room to spare. */
const MAX_SECRET_BODY = 512 * 1024;

export const setSecretBody = z.strictObject({ value: z.string() });
export const rotateMasterBody = z.strictObject({ newKey: z.string().optional() }).optional();

export type SecretsService = Pick<Secrets, 'list' | 'set' | 'remove' | 'rotateMaster'>;

/** The endpoints under /v1/apps/{app}/secrets and /v1/secrets/rotate-master. */
export function secretsRoutes(secrets: SecretsService): RouteModule {
  return (on) => {
    on('GET', '/v1/apps/:app/secrets', async ({ res, params }) => {
      sendJson(res, 200, { secrets: await secrets.list(params['app']!) });
    });
    on('PUT', '/v1/apps/:app/secrets/:name', async ({ req, res, params }) => {
      const body = parse(setSecretBody, await readJson(req, MAX_SECRET_BODY), 'send {"value": "<the secret>"}');
      const info = await secrets.set(params['app']!, params['name']!, body.value);
      sendJson(res, info.created ? 201 : 200, info);
    });
    on('DELETE', '/v1/apps/:app/secrets/:name', async ({ res, params }) => {
      sendJson(res, 200, await secrets.remove(params['app']!, params['name']!));
    });
    on('POST', '/v1/secrets/rotate-master', async ({ req, res }) => {
      const body = parse(rotateMasterBody, await readJson(req, 4096), 'send {} or {"newKey": "<base64 or hex of 32 bytes>"}');
      const next = body?.newKey === undefined ? undefined : parseMasterKey(body.newKey, 'newKey');
      sendJson(res, 200, await secrets.rotateMaster(next));
    });
  };
}

function parse<T>(schema: z.ZodType<T>, body: unknown, hint: string): T {
  const r = schema.safeParse(body);
  // zod's message could quote the input: name the path only.
  if (!r.success) throw new NimbusError('BAD_REQUEST', `invalid body at "${r.error.issues[0]?.path.join('.') ?? ''}": ${hint}`);
  return r.data;
}

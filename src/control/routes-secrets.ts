/**
 * App secrets in the route table (README, "Secrets"): list names, set, remove, rotate the master
 * key. Handlers only call the `Secrets` service; no answer, error or audit entry holds a value.
 */
import { z } from 'zod';
import { parseMasterKey } from '../secrets/index.js';
import * as s from './schemas.js';
import { route } from './table.js';

/** A 64 KB value as JSON, escapes included, with room to spare. */
const MAX_SECRET_BODY = 512 * 1024;

export const secretRoutes = [
  route({
    method: 'GET',
    path: '/v1/apps/{app}/secrets',
    summary: "list the app's secrets: names and update times, never values (the app need not be deployed yet)",
    scope: 'deploy',
    app: 'param',
    response: z.object({ secrets: z.array(s.secretInfoSchema) }),
    errors: [],
    handle: async ({ deps, params }) => ({ secrets: await deps.secrets.list(params['app']!) }),
  }),
  route({
    method: 'PUT',
    path: '/v1/apps/{app}/secrets/{name}',
    summary: 'set a secret (encrypted at rest); running instances of the functions that use it are replaced',
    scope: 'deploy',
    app: 'param',
    body: s.setSecretSchema,
    bodyLimit: MAX_SECRET_BODY,
    response: s.secretInfoSchema.extend({ created: z.boolean().describe('false when an existing value was replaced') }),
    errors: ['VALUE_TOO_LARGE'],
    audit: 'secret.set',
    handle: async ({ deps, params, body }) => deps.secrets.set(params['app']!, params['name']!, body.value),
  }),
  route({
    method: 'DELETE',
    path: '/v1/apps/{app}/secrets/{name}',
    summary: 'remove a secret; refused while an active function names it',
    scope: 'deploy',
    app: 'param',
    response: z.object({ deleted: z.literal(true) }),
    errors: ['SECRET_NOT_FOUND', 'SECRET_IN_USE'],
    audit: 'secret.delete',
    handle: async ({ deps, params }) => deps.secrets.remove(params['app']!, params['name']!),
  }),
  route({
    method: 'POST',
    path: '/v1/secrets/rotate-master',
    summary: 're-encrypt every secret under a new master key, in one transaction (values do not change)',
    scope: 'admin',
    app: 'none',
    body: s.rotateMasterSchema,
    response: z.object({ rotated: z.number().int(), keySource: z.enum(['file', 'option']) }),
    errors: [],
    audit: 'secrets.rotate-master',
    handle: async ({ deps, body }) => deps.secrets.rotateMaster(body?.newKey === undefined ? undefined : parseMasterKey(body.newKey, 'newKey')),
  }),
];

/** API keys and the audit trail in the route table (issue 9). */
import { z } from 'zod';
import type { ApiKeyRecord } from '../domain/index.js';
import * as s from './schemas.js';
import { route } from './table.js';

export function keyView(k: ApiKeyRecord): s.KeyView {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scope: k.scope,
    apps: k.apps,
    createdAt: k.createdAt,
    expiresAt: k.expiresAt,
    revokedAt: k.revokedAt,
    lastUsedAt: k.lastUsedAt,
    ...(k.aws ? { accessKeyId: k.aws.accessKeyId } : {}),
  };
}

/** `since`: epoch ms or an ISO 8601 time; undefined when absent or not a time. */
export function parseSince(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isNaN(n) ? undefined : n;
}

const since = z
  .string()
  .optional()
  .refine((v) => v === undefined || v === '' || parseSince(v) !== undefined, 'expected epoch milliseconds or an ISO 8601 time')
  .describe('only entries at or after this time: epoch ms or ISO 8601');

export const keyRoutes = [
  route({
    method: 'GET',
    path: '/v1/keys',
    summary: 'list API keys, revoked ones included (never the keys themselves)',
    scope: 'admin',
    app: 'none',
    response: z.object({ keys: z.array(s.keyViewSchema) }),
    errors: [],
    handle: async ({ deps }) => ({ keys: (await deps.store.listKeys()).map(keyView) }),
  }),
  route({
    method: 'POST',
    path: '/v1/keys',
    summary: 'create an API key: the answer holds the key, shown this once',
    scope: 'admin',
    app: 'none',
    body: s.createKeySchema,
    response: s.createdKeySchema,
    status: 201,
    errors: [],
    audit: 'key.create',
    handle: async ({ deps, body, audit }) => {
      audit.target = body.name;
      const { key, record, aws } = await deps.keys.create(body);
      audit.target = `${record.id} ${record.prefix}`;
      return { key, info: keyView(record), ...(aws ? { aws } : {}) };
    },
  }),
  route({
    method: 'DELETE',
    path: '/v1/keys/{id}',
    summary: 'revoke a key (by id or name): it is refused from the next call on',
    scope: 'admin',
    app: 'none',
    response: z.object({ revoked: s.keyViewSchema }),
    errors: ['KEY_NOT_FOUND'],
    audit: 'key.revoke',
    handle: async ({ deps, params, audit }) => {
      const revoked = await deps.keys.revoke(params['id']!);
      audit.target = `${revoked.id} ${revoked.prefix}`;
      return { revoked: keyView(revoked) };
    },
  }),
  route({
    method: 'GET',
    path: '/v1/audit',
    summary: 'the audit trail, newest first: admin keys see everything, other keys with read the entries of their apps',
    scope: 'read',
    app: 'none',
    query: z.object({
      app: z.string().optional().describe('only entries of this app'),
      since,
      limit: s.limitParam('at most this many (default 100, max 1000)'),
    }),
    response: z.object({ entries: z.array(s.auditEntrySchema) }),
    errors: [],
    handle: async ({ deps, key, query }) => {
      if (query.app !== undefined && key.apps.length > 0 && !key.apps.includes(query.app)) return { entries: [] };
      const limited = key.scope === 'admin' ? {} : key.apps.length > 0 ? { apps: key.apps } : { appsOnly: true };
      const entries = await deps.store.listAudit({ app: query.app, since: parseSince(query.since), limit: query.limit, ...limited });
      return { entries };
    },
  }),
];

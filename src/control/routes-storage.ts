/**
 * Topic and bucket endpoints in the route table: publish, list topics and buckets, and put / get /
 * head / delete / list objects. Object bodies travel raw (not JSON) with their Content-Type, and
 * stream between the socket and the file (storage/files.ts); keys are the rest of the path,
 * percent-decoded, so they may hold '/' and any Unicode.
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { MAX_BODY_BYTES } from '../sandbox/protocol.js';
import { NimbusError } from '../shared/errors.js';
import type { ObjectInfo } from '../storage/port.js';
import { parseAttributes } from '../triggers/index.js';
import { readJson } from './request.js';
import * as s from './schemas.js';
import { raw, route } from './table.js';

const int = { type: 'integer' };
const str = { type: 'string' };
const objectHeaders = {
  'Content-Type': { schema: str },
  'Content-Length': { schema: int },
  ETag: { schema: str },
  'Last-Modified': { schema: str },
  'X-Nimbus-Uploaded-At': { schema: int, description: 'epoch ms' },
};

export const storageRoutes = [
  route({
    method: 'POST',
    path: '/v1/topics/{topic}',
    summary: 'publish: one queued delivery per message and subscribed function, durable when answered',
    description: 'The body is one JSON message; with `X-Nimbus-Batch: true` it is `{"messages": [...]}` (1-1000).',
    scope: 'invoke',
    app: 'topic',
    headers: [
      { name: 'X-Nimbus-Batch', description: 'true: the body is {"messages": [...]}', schema: { enum: ['true', 'false'] } },
      {
        name: 'X-Nimbus-Attributes',
        description: 'message attributes of every message, as a JSON object of strings (at most 10), e.g. {"kind":"order"}: SNS MessageAttributes, SQS messageAttributes',
        schema: { type: 'string' },
      },
    ],
    // Raw: any JSON is a message, and the batch header decides how the body reads.
    body: raw('application/json', 'a message (any JSON), or {messages: [...]} in batch mode'),
    response: s.publishResultSchema,
    status: 202,
    errors: ['TOPIC_NOT_FOUND', 'PAYLOAD_TOO_LARGE'],
    audit: 'topic.publish',
    handle: async ({ deps, req, params }) => {
      const batch = /^true$/i.test(String(req.headers['x-nimbus-batch'] ?? ''));
      const body = await readJson(req, MAX_BODY_BYTES);
      if (body === undefined) throw new NimbusError('BAD_REQUEST', 'send the message as a JSON body (or {"messages": [...]} with X-Nimbus-Batch: true)');
      let messages: unknown[] = [body];
      if (batch) {
        const list = typeof body === 'object' && body !== null && 'messages' in body ? body.messages : undefined;
        if (!Array.isArray(list) || list.length === 0) throw new NimbusError('BAD_REQUEST', 'with X-Nimbus-Batch: true the body is {"messages": [<JSON>, ...]} with at least one message');
        messages = list;
      }
      const header = req.headers['x-nimbus-attributes'];
      if (header === undefined) return deps.topics.publish(params['topic']!, messages);
      let value: unknown;
      try {
        value = JSON.parse(String(header));
      } catch {
        throw new NimbusError('BAD_REQUEST', 'X-Nimbus-Attributes must be a JSON object of strings, e.g. {"kind":"order"}');
      }
      return deps.topics.publish(params['topic']!, messages, {}, { attributes: parseAttributes(value, 'X-Nimbus-Attributes') });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/topics',
    summary: 'list topics (named by a deployed app) with their subscribers',
    scope: 'read',
    app: 'none',
    response: z.object({ topics: z.array(s.topicViewSchema) }),
    errors: [],
    handle: async ({ deps, visible }) => ({
      topics: deps.resources
        .topics()
        .filter(([, e]) => visible(e.app))
        .map(([topic, e]) => ({
          topic,
          app: e.app,
          subscribers: e.subscribers.map((x) => ({ app: x.fn.app, function: x.fn.name, batchSize: x.trigger.batchSize, maxBatchWindow: x.trigger.maxBatchWindow })),
        })),
    }),
  }),
  route({
    method: 'GET',
    path: '/v1/buckets',
    summary: 'list buckets (named by a deployed app) with object counts and subscribers',
    scope: 'read',
    app: 'none',
    response: z.object({ buckets: z.array(s.bucketViewSchema) }),
    errors: [],
    handle: async ({ deps, visible }) => {
      const stats = (await deps.objects.stats?.()) ?? new Map<string, { objects: number; bytes: number }>();
      const buckets = deps.resources
        .buckets()
        .filter(([, e]) => visible(e.app))
        .map(([bucket, e]) => ({
          bucket,
          app: e.app,
          objects: stats.get(bucket)?.objects ?? 0,
          bytes: stats.get(bucket)?.bytes ?? 0,
          subscribers: e.subscribers.map((x) => ({ app: x.fn.app, function: x.fn.name, events: x.trigger.events, prefix: x.trigger.prefix })),
        }));
      return { buckets };
    },
  }),
  route({
    method: 'GET',
    path: '/v1/buckets/{bucket}/objects',
    summary: 'list objects in key order',
    scope: 'read',
    app: 'bucket',
    query: z.object({
      prefix: z.string().optional().describe('only keys starting with this'),
      cursor: z.string().optional().describe('the previous page’s cursor'),
      limit: s.limitParam('at most this many (default and max 1000)'),
    }),
    response: s.objectListSchema,
    errors: ['BUCKET_NOT_FOUND'],
    handle: async ({ deps, params, query }) => deps.objects.list(params['bucket']!, { prefix: query.prefix, cursor: query.cursor || undefined, limit: query.limit }),
  }),
  route({
    method: 'PUT',
    path: '/v1/buckets/{bucket}/objects/{key+}',
    summary: 'store (replace) an object; subscribers get a created event',
    scope: 'deploy',
    app: 'bucket',
    body: raw('*/*', 'the bytes, streamed to the file'),
    response: s.objectInfoSchema,
    errors: ['BUCKET_NOT_FOUND', 'VALUE_TOO_LARGE', 'QUOTA_EXCEEDED'],
    audit: 'object.put',
    handle: async ({ deps, req, params }) => {
      const length = req.headers['content-length'];
      const declared = length === undefined ? (req.headers['transfer-encoding'] === undefined ? 0 : undefined) : Number(length);
      if (declared !== undefined && !Number.isSafeInteger(declared)) throw new NimbusError('BAD_REQUEST', 'the Content-Length header is not a number');
      const type = req.headers['content-type'];
      // destroyOnReturn false: when the store stops early (too large, quota), the rest of the body
      // is drained below so the error can still be answered on this connection.
      const body: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => req.iterator({ destroyOnReturn: false }) as AsyncIterator<Uint8Array> };
      try {
        return await deps.objects.putStream(params['bucket']!, params['key']!, body, type || undefined, declared);
      } finally {
        if (!req.complete) req.resume();
      }
    },
  }),
  route({
    method: 'GET',
    path: '/v1/buckets/{bucket}/objects/{key+}',
    summary: "the object's bytes, with its Content-Type",
    scope: 'read',
    app: 'bucket',
    response: raw('*/*', 'the bytes', objectHeaders),
    errors: ['BUCKET_NOT_FOUND', 'OBJECT_NOT_FOUND'],
    handle: async ({ deps, res, params }) => {
      const found = await deps.objects.openRead(params['bucket']!, params['key']!);
      if (!found) throw notFound(params['bucket']!, params['key']!);
      res.writeHead(200, headersOf(found.info));
      // A client that goes away ends the pipeline with an error; the file handle closes either way.
      await pipeline(found.body, res).catch(() => undefined);
    },
  }),
  route({
    method: 'HEAD',
    path: '/v1/buckets/{bucket}/objects/{key+}',
    summary: "the object's metadata as headers",
    scope: 'read',
    app: 'bucket',
    response: raw('*/*', 'exists (no body)', objectHeaders),
    errors: ['BUCKET_NOT_FOUND', 'OBJECT_NOT_FOUND'],
    handle: async ({ deps, res, params }) => {
      const info = await deps.objects.head(params['bucket']!, params['key']!);
      if (!info) throw notFound(params['bucket']!, params['key']!);
      head(res, info);
    },
  }),
  route({
    method: 'DELETE',
    path: '/v1/buckets/{bucket}/objects/{key+}',
    summary: 'delete an object; subscribers get a deleted event when there was one',
    scope: 'deploy',
    app: 'bucket',
    response: z.object({ deleted: z.boolean().describe('false: there was no such object') }),
    errors: ['BUCKET_NOT_FOUND'],
    audit: 'object.delete',
    handle: async ({ deps, params }) => ({ deleted: await deps.objects.delete(params['bucket']!, params['key']!) }),
  }),
];

function headersOf(info: ObjectInfo): Record<string, string> {
  return {
    'content-type': info.contentType,
    'content-length': String(info.size),
    etag: info.etag,
    'last-modified': new Date(info.uploadedAt).toUTCString(),
    'x-nimbus-uploaded-at': String(info.uploadedAt),
  };
}

function head(res: ServerResponse, info: ObjectInfo): void {
  res.writeHead(200, headersOf(info));
  res.end();
}

function notFound(bucket: string, key: string): NimbusError {
  return new NimbusError('OBJECT_NOT_FOUND', `bucket "${bucket}" has no object "${key}"; list its keys with \`nimbus ls-bucket ${bucket}\``, { details: { bucket, key } });
}

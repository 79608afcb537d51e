/**
 * The OpenAPI paths and schemas of the topic and bucket endpoints (storage-routes.ts). Built from
 * openapi.ts's own helpers, passed in, so both halves of the document render alike.
 */
import type { ErrorCode } from '../shared/errors.js';

type Schema = Record<string, unknown>;

export interface OpenApiHelpers {
  ref: (name: string) => Schema;
  obj: (properties: Record<string, Schema>, optional?: string[]) => Schema;
  arrayOf: (s: Schema) => Schema;
  json: (schema: Schema) => { content: Record<string, { schema: Schema }> };
  ok: (description: string, schema: Schema) => Record<string, unknown>;
  errors: (...codes: ErrorCode[]) => Record<string, unknown>;
  param: (name: string, description: string, schema?: Schema, where?: 'path' | 'query') => Record<string, unknown>;
  str: Schema;
  int: Schema;
  epochMs: Schema;
}

export function storageOpenApi(h: OpenApiHelpers) {
  const { ref, obj, arrayOf, json, ok, errors, param, str, int, epochMs } = h;
  const schemas: Record<string, Schema> = {
    ObjectInfo: obj({
      bucket: str,
      key: str,
      size: { type: 'integer', description: 'bytes' },
      etag: { type: 'string', description: 'quoted hex MD5 of the bytes, as S3' },
      contentType: str,
      uploadedAt: epochMs,
    }),
    ObjectList: obj({ objects: arrayOf(ref('ObjectInfo')), cursor: { oneOf: [str, { type: 'null' }], description: 'pass as cursor for the next page; null on the last' } }),
  };
  const bucketParam = param('bucket', 'bucket name (exists while a deployed app names it)');
  const keyParam = param('key', "object key, percent-encoded as one segment ('/' as %2F); 1-1024 bytes of UTF-8");
  const objectHeaders = {
    'Content-Type': { schema: str },
    'Content-Length': { schema: int },
    ETag: { schema: str },
    'Last-Modified': { schema: str },
    'X-Nimbus-Uploaded-At': { schema: epochMs },
  };
  const paths = {
    '/v1/topics': {
      get: {
        summary: 'list topics (named by a deployed app) with their subscribers',
        responses: {
          '200': ok('topics', obj({ topics: arrayOf(obj({ topic: str, app: str, subscribers: arrayOf(obj({ app: str, function: str, batchSize: int, maxBatchWindow: int })) })) })),
          ...errors(),
        },
      },
    },
    '/v1/topics/{topic}': {
      parameters: [param('topic', 'topic name')],
      post: {
        summary: 'publish: one queued delivery per message and subscribed function, durable when answered',
        description: 'The body is one JSON message; with `X-Nimbus-Batch: true` it is `{"messages": [...]}` (1-1000).',
        parameters: [{ name: 'X-Nimbus-Batch', in: 'header', required: false, schema: { enum: ['true', 'false'] } }],
        requestBody: { required: true, ...json({ description: 'a message (any JSON), or {messages: [...]} in batch mode' }) },
        responses: {
          '202': ok('accepted', obj({ messageIds: arrayOf(str), deliveries: { type: 'integer', description: 'messages × subscribers' } })),
          ...errors('TOPIC_NOT_FOUND', 'PAYLOAD_TOO_LARGE'),
        },
      },
    },
    '/v1/buckets': {
      get: {
        summary: 'list buckets (named by a deployed app) with object counts and subscribers',
        responses: {
          '200': ok(
            'buckets',
            obj({
              buckets: arrayOf(
                obj({ bucket: str, app: str, objects: int, bytes: int, subscribers: arrayOf(obj({ app: str, function: str, events: arrayOf({ enum: ['created', 'deleted'] }), prefix: str })) }),
              ),
            }),
          ),
          ...errors(),
        },
      },
    },
    '/v1/buckets/{bucket}/objects': {
      parameters: [bucketParam],
      get: {
        summary: 'list objects in key order',
        parameters: [
          param('prefix', 'only keys starting with this', str, 'query'),
          param('cursor', 'the previous page’s cursor', str, 'query'),
          param('limit', 'at most this many (default and max 1000)', { type: 'integer', minimum: 1, maximum: 1000 }, 'query'),
        ],
        responses: { '200': ok('a page of objects', ref('ObjectList')), ...errors('BUCKET_NOT_FOUND') },
      },
    },
    '/v1/buckets/{bucket}/objects/{key}': {
      parameters: [bucketParam, keyParam],
      put: {
        summary: 'store (replace) an object; subscribers get a created event',
        requestBody: { required: true, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
        responses: { '200': ok('stored', ref('ObjectInfo')), ...errors('BUCKET_NOT_FOUND', 'VALUE_TOO_LARGE') },
      },
      get: {
        summary: "the object's bytes, with its Content-Type",
        responses: {
          '200': { description: 'the bytes', headers: objectHeaders, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
          ...errors('BUCKET_NOT_FOUND', 'OBJECT_NOT_FOUND'),
        },
      },
      head: {
        summary: "the object's metadata as headers",
        responses: { '200': { description: 'exists', headers: objectHeaders }, ...errors('BUCKET_NOT_FOUND', 'OBJECT_NOT_FOUND') },
      },
      delete: {
        summary: 'delete an object; subscribers get a deleted event when there was one',
        responses: { '200': ok('done', obj({ deleted: { type: 'boolean', description: 'false: there was no such object' } })), ...errors('BUCKET_NOT_FOUND') },
      },
    },
  };
  return { schemas, paths };
}

/**
 * Control-API endpoints of topics and buckets (docs/control-api.md): publish to a topic, list
 * topics and buckets, and put / get / head / delete / list objects. Object bodies travel raw (not
 * JSON) with their Content-Type; keys are the rest of the path, percent-decoded, so they may hold
 * '/' and any Unicode.
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { ObjectInfo, StreamingObjectStore } from '../storage/port.js';
import type { TopicPublisher } from '../triggers/port.js';
import type { Resources } from '../triggers/resources.js';
import { MAX_BODY_BYTES } from '../sandbox/protocol.js';
import { NimbusError } from '../shared/errors.js';
import { sendJson } from '../shared/http.js';
import { num, readJson, type RouteModule } from './route-module.js';

export interface StorageRoutesOptions {
  objects: StreamingObjectStore & { stats?(): Map<string, { objects: number; bytes: number }> };
  topics: TopicPublisher;
  resources: Pick<Resources, 'topics' | 'buckets'>;
}

/** The endpoints under /v1/topics and /v1/buckets. */
export function storageRoutes(o: StorageRoutesOptions): RouteModule {
  return (on) => {
    on('POST', '/v1/topics/:topic', async ({ req, res, params }) => {
      const batch = /^true$/i.test(String(req.headers['x-nimbus-batch'] ?? ''));
      const body = await readJson(req, MAX_BODY_BYTES);
      if (body === undefined) throw new NimbusError('BAD_REQUEST', 'send the message as a JSON body (or {"messages": [...]} with X-Nimbus-Batch: true)');
      let messages: unknown[] = [body];
      if (batch) {
        const list = typeof body === 'object' && body !== null && 'messages' in body ? body.messages : undefined;
        if (!Array.isArray(list) || list.length === 0) throw new NimbusError('BAD_REQUEST', 'with X-Nimbus-Batch: true the body is {"messages": [<JSON>, ...]} with at least one message');
        messages = list;
      }
      sendJson(res, 202, await o.topics.publish(params['topic']!, messages));
    });
    on('GET', '/v1/topics', async ({ res }) => {
      const topics = o.resources.topics().map(([topic, e]) => ({
        topic,
        app: e.app,
        subscribers: e.subscribers.map((s) => ({ app: s.fn.app, function: s.fn.name, batchSize: s.trigger.batchSize, maxBatchWindow: s.trigger.maxBatchWindow })),
      }));
      sendJson(res, 200, { topics });
    });
    on('GET', '/v1/buckets', async ({ res }) => {
      const stats = o.objects.stats?.() ?? new Map<string, { objects: number; bytes: number }>();
      const buckets = o.resources.buckets().map(([bucket, e]) => ({
        bucket,
        app: e.app,
        objects: stats.get(bucket)?.objects ?? 0,
        bytes: stats.get(bucket)?.bytes ?? 0,
        subscribers: e.subscribers.map((s) => ({ app: s.fn.app, function: s.fn.name, events: s.trigger.events, prefix: s.trigger.prefix })),
      }));
      sendJson(res, 200, { buckets });
    });
    on('GET', '/v1/buckets/:bucket/objects', async ({ res, params, query }) => {
      const list = await o.objects.list(params['bucket']!, {
        prefix: query.get('prefix') ?? undefined,
        cursor: query.get('cursor') || undefined,
        limit: num(query.get('limit')),
      });
      sendJson(res, 200, list);
    });
    // Object bodies stream between the socket and the file (storage/files.ts): a 60 MB upload or
    // download never sits whole in memory nor blocks this thread while it moves.
    on('PUT', '/v1/buckets/:bucket/objects/*', async ({ req, res, params }) => {
      const length = req.headers['content-length'];
      const declared = length === undefined ? (req.headers['transfer-encoding'] === undefined ? 0 : undefined) : Number(length);
      if (declared !== undefined && !Number.isSafeInteger(declared)) throw new NimbusError('BAD_REQUEST', 'the Content-Length header is not a number');
      const type = req.headers['content-type'];
      // destroyOnReturn false: when the store stops early (too large, quota), the rest of the body
      // is drained below so the error can still be answered on this connection.
      const body: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => req.iterator({ destroyOnReturn: false }) as AsyncIterator<Uint8Array> };
      try {
        sendJson(res, 200, await o.objects.putStream(params['bucket']!, params['*']!, body, type || undefined, declared));
      } finally {
        if (!req.complete) req.resume();
      }
    });
    on('GET', '/v1/buckets/:bucket/objects/*', async ({ res, params }) => {
      const found = await o.objects.openRead(params['bucket']!, params['*']!);
      if (!found) throw notFound(params['bucket']!, params['*']!);
      res.writeHead(200, objectHeaders(found.info));
      // A client that goes away ends the pipeline with an error; the file handle closes either way.
      await pipeline(found.body, res).catch(() => undefined);
    });
    on('HEAD', '/v1/buckets/:bucket/objects/*', async ({ res, params }) => {
      const info = await o.objects.head(params['bucket']!, params['*']!);
      if (!info) throw notFound(params['bucket']!, params['*']!);
      head(res, info);
    });
    on('DELETE', '/v1/buckets/:bucket/objects/*', async ({ res, params }) => {
      sendJson(res, 200, { deleted: await o.objects.delete(params['bucket']!, params['*']!) });
    });
  };
}

function objectHeaders(info: ObjectInfo): Record<string, string> {
  return {
    'content-type': info.contentType,
    'content-length': String(info.size),
    etag: info.etag,
    'last-modified': new Date(info.uploadedAt).toUTCString(),
    'x-nimbus-uploaded-at': String(info.uploadedAt),
  };
}

function head(res: ServerResponse, info: ObjectInfo): void {
  res.writeHead(200, objectHeaders(info));
  res.end();
}

function notFound(bucket: string, key: string): NimbusError {
  return new NimbusError('OBJECT_NOT_FOUND', `bucket "${bucket}" has no object "${key}"; list its keys with \`nimbus ls-bucket ${bucket}\``, { details: { bucket, key } });
}

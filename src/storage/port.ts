/**
 * Object storage port: built-in buckets. The embedded default keeps object bytes in files under
 * `<data-dir>/buckets/` and metadata in SQLite; it commits an object's metadata and its bucket
 * events in ONE transaction (outbox), so no object appears without its notification.
 */
import type { Readable } from 'node:stream';
import type { BucketTrigger, FunctionVersion } from '../domain/index.js';
import type { EventQueue } from '../queue/port.js';
import type { Clock } from '../shared/clock.js';

export interface ObjectInfo {
  bucket: string;
  key: string;
  size: number;
  /** Hex MD5 of the bytes, quoted as S3 does: `"9e107d9d…"`. */
  etag: string;
  contentType: string;
  /** Epoch ms. */
  uploadedAt: number;
}

export interface ObjectList {
  objects: ObjectInfo[];
  /** Pass as `cursor` to get the next page; null when there is none. */
  cursor: string | null;
}

/** What caused a write, for the events it emits: `hop` as in triggers/port.ts EventCause (0 from outside). */
export interface WriteCause {
  hop?: number;
  /** W3C trace context of the binding call that wrote: the bucket events continue its trace (kept in the outbox's event JSON). */
  traceparent?: string;
}

export interface ObjectStore {
  /** Store (replace) an object; emits a `created` event to subscribed functions. */
  put(bucket: string, key: string, body: Buffer, contentType?: string, cause?: WriteCause): Promise<ObjectInfo>;
  get(bucket: string, key: string): Promise<{ info: ObjectInfo; body: Buffer } | undefined>;
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /** False when there was no such object; emits a `deleted` event when there was. */
  delete(bucket: string, key: string, cause?: WriteCause): Promise<boolean>;
  list(bucket: string, options?: { prefix?: string; cursor?: string; limit?: number }): Promise<ObjectList>;
  close(): Promise<void>;
}

/**
 * An ObjectStore that also moves bytes as streams (the control API's PUT and GET), so a large
 * object never sits whole in memory nor is hashed or copied in one blocking step.
 */
export interface StreamingObjectStore extends ObjectStore {
  /** Like `put`, reading the body as it arrives; `declaredSize` (Content-Length) lets it refuse early. */
  putStream(bucket: string, key: string, body: AsyncIterable<Uint8Array>, contentType?: string, declaredSize?: number, cause?: WriteCause): Promise<ObjectInfo>;
  /** The bytes as a stream (the file is already open when this resolves), or undefined. */
  openRead(bucket: string, key: string): Promise<{ info: ObjectInfo; body: Readable } | undefined>;
}

/** Largest object: as a function response, 6 MB would be too small for uploads; this is the cap. */
export const MAX_OBJECT_BYTES = 64 * 1024 * 1024;

/** Which buckets exist (a deployed app names them) and who is notified of their changes. */
export interface BucketDirectory {
  bucket(name: string): { app: string; subscribers: Array<{ fn: FunctionVersion; trigger: BucketTrigger }> } | undefined;
}

/**
 * Everything the node uses of its object store: the streaming port, plus what deleting an app,
 * the dashboard and a test harness's `idle()` need. FsObjectStore (embedded) and PgObjectStore
 * (cluster) implement it; storage/contract.ts is the suite both pass.
 */
export interface BucketStore extends StreamingObjectStore {
  /** Delete every object `app` stored in `bucket` (no events: nobody names the bucket). Returns how many. */
  purge(app: string, bucket: string): Promise<number>;
  /** Bytes of objects `app` stores, over all its buckets (what its quota counts). */
  usage(app: string): Promise<number>;
  /** Objects and bytes per bucket, counting its current owner's objects (empty buckets are absent). */
  stats(): Promise<Map<string, { objects: number; bytes: number }>>;
  /** Resolves once the bucket events this node committed so far are in the queue. */
  outboxDrained(): Promise<void>;
}

/** What an object store needs from the rest of the node, whatever keeps its bytes. */
export interface BucketStoreDeps {
  buckets: BucketDirectory;
  queue: Pick<EventQueue, 'enqueue'>;
  clock?: Clock;
  log?: (line: string) => void;
  /** Bytes of objects each app may store, over all its buckets. Default 1 GB. */
  quotaBytes?: number;
}

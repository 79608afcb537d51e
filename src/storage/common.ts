/**
 * What every object store shares, whatever keeps the bytes: key and bucket-name rules, list
 * cursors, key ranges for prefixes, and the bucket events one change emits. Keeping them in one
 * place is what makes the stores answer alike (storage/contract.ts checks it).
 */
import type { BucketEventType, BucketTrigger, FunctionVersion } from '../domain/index.js';
import type { NewEvent } from '../queue/port.js';
import { NimbusError } from '../shared/errors.js';
import { uuidv7 } from '../shared/ids.js';
import { eventFor } from '../triggers/events.js';
import type { BucketDirectory, ObjectInfo, WriteCause } from './port.js';

export const MAX_KEY_BYTES = 1024;
export const MAX_LIST_LIMIT = 1000;
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;

/** The bucket's entry in the directory, or BUCKET_NOT_FOUND. */
export function mustBucket(buckets: BucketDirectory, bucket: string) {
  const entry = BUCKET_NAME.test(bucket) ? buckets.bucket(bucket) : undefined;
  if (!entry)
    throw new NimbusError('BUCKET_NOT_FOUND', `no deployed app names bucket "${bucket}"; a bucket exists while a function names it in a trigger or binding (see \`nimbus buckets\`)`, {
      details: { bucket },
    });
  return entry;
}

/** A list request's page size, clamped to 1..MAX_LIST_LIMIT. */
export function listLimit(limit: number | undefined): number {
  return Math.min(Math.max(Math.trunc(limit ?? MAX_LIST_LIMIT), 1), MAX_LIST_LIMIT);
}

/**
 * The events of one change, one per subscribed function whose prefix/suffix/events match; they
 * carry the writer's hop (a bucket trigger writing its own bucket is a loop). Each event's
 * idempotency key is derived from its id, so moving it from an outbox to the queue twice is a no-op.
 */
export function bucketEvents(subscribers: Array<{ fn: FunctionVersion; trigger: BucketTrigger }>, type: BucketEventType, obj: ObjectInfo, now: number, cause: WriteCause): NewEvent[] {
  const payload = { type, bucket: obj.bucket, key: obj.key, size: obj.size, etag: obj.etag, contentType: obj.contentType };
  const seen = new Set<string>();
  const out: NewEvent[] = [];
  for (const { fn, trigger } of subscribers) {
    if (!trigger.events.includes(type) || !obj.key.startsWith(trigger.prefix) || !obj.key.endsWith(trigger.suffix ?? '') || seen.has(`${fn.app}/${fn.name}`)) continue;
    seen.add(`${fn.app}/${fn.name}`);
    const id = uuidv7(now);
    out.push(
      eventFor(
        fn,
        {
          id,
          source: 'bucket',
          shape: 'queue',
          origin: obj.bucket,
          payload,
          idempotencyKey: `bucket-event/${id}`,
          hop: cause.hop ?? 0,
          ...(cause.traceparent !== undefined ? { traceparent: cause.traceparent } : {}),
        },
        now,
      ),
    );
  }
  return out;
}

/** Keys: 1..1024 bytes of well-formed UTF-8; '.' and '..' alone cannot be addressed in a URL. */
export function checkKey(key: string): void {
  const problem =
    typeof key !== 'string' || key === ''
      ? 'is empty'
      : Buffer.from(key, 'utf8').toString('utf8') !== key
        ? 'is not well-formed Unicode'
        : key.includes('\0')
          ? 'contains a NUL character'
          : Buffer.byteLength(key) > MAX_KEY_BYTES
            ? `is longer than ${MAX_KEY_BYTES} bytes`
            : key === '.' || key === '..'
              ? 'is "." or "..", which URLs cannot carry'
              : null;
  if (problem) throw new NimbusError('BAD_REQUEST', `the object key ${problem}; keys are 1-${MAX_KEY_BYTES} bytes of UTF-8 text`);
}

export function encodeCursor(key: string): string {
  return Buffer.from(key).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9_-]+$/.test(cursor) || key === '') throw new NimbusError('BAD_REQUEST', "the cursor is not one this API returned: pass the previous page's cursor as is");
  return key;
}

/**
 * The least string greater than every string starting with `prefix` (its last code point plus
 * one, carrying past U+10FFFF and skipping surrogates); null when there is none (empty prefix).
 * Keys compare as UTF-8 bytes (SQLite BINARY, PostgreSQL COLLATE "C"), i.e. in code point order,
 * so the range [prefix, upperBound) holds exactly the keys that start with prefix.
 */
export function upperBound(prefix: string): string | null {
  const cps = [...prefix].map((c) => c.codePointAt(0)!);
  while (cps.length > 0) {
    let last = cps.pop()! + 1;
    if (last === 0xd800) last = 0xe000;
    if (last <= 0x10ffff) return String.fromCodePoint(...cps, last);
  }
  return null;
}

/**
 * `env.<NAME>` objects for a function's bindings, built once at load: KV namespaces (Workers KV
 * style), buckets (R2 style) and topics. Every method is one `call` to the host, which checks the
 * grant and runs it; the checks here only fail an oversized call early with the host's own code.
 *
 * Wire ops (args → reply value), the contract with `runtime/bindings.ts`:
 *   kv      get [key] → string|null · put [key, value, ttlSeconds|null] → null · delete [key] → null
 *           list [{prefix?, cursor?, limit?}] → { keys: [{ name, expiration (epoch ms)|null }], cursor|null }
 *   bucket  get [key] → { info, data, b64 }|null · head [key] → info|null · delete [key] → boolean
 *           put [key, { data, b64 }|null (null: the body came as `part`s), contentType|null] → info
 *           list [{prefix?, cursor?, limit?}] → { objects: info[], cursor|null }
 *   topic   publish [messages, attributes?] → { messageIds, deliveries }
 * `info` = { bucket, key, size, etag, contentType, uploadedAt (epoch ms) }.
 */
import type { CallBinding } from './rpc.js';
import { NimbusBindingError } from './rpc.js';
import type { SandboxBinding } from './protocol.js';
import { BINDING_LIMITS, MAX_PART_CHARS } from './protocol.js';

interface WireInfo {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  contentType: string;
  uploadedAt: number;
}

const MAX_INLINE_TEXT_BYTES = 1024 * 1024;

type ListOptions = { prefix?: string; cursor?: string; limit?: number };

export function buildBindings(bindings: Record<string, SandboxBinding>, call: CallBinding): Record<string, object> {
  const env: Record<string, object> = {};
  for (const [name, binding] of Object.entries(bindings)) {
    const c = (op: string, args: unknown[], blob?: string) => call(name, op, args, blob);
    if (binding.type === 'kv') env[name] = kvNamespace(name, c);
    else if (binding.type === 'bucket') env[name] = bucket(name, c);
    else env[name] = topic(name, c);
  }
  return env;
}

type Call = (op: string, args: unknown[], blob?: string) => Promise<unknown>;

function kvNamespace(name: string, call: Call): object {
  return Object.freeze({
    async get(key: string, options?: 'text' | 'json' | { type?: 'text' | 'json' }): Promise<unknown> {
      const type = typeof options === 'string' ? options : (options?.type ?? 'text');
      if (type !== 'text' && type !== 'json') throw new TypeError(`${name}.get: type must be 'text' or 'json', got ${String(type)}`);
      const value = (await call('get', [checkKey(key, BINDING_LIMITS.kvKeyBytes)])) as string | null;
      return value === null || type === 'text' ? value : (JSON.parse(value) as unknown);
    },
    async put(key: string, value: unknown, options?: { expirationTtl?: number }): Promise<void> {
      if (value === undefined || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
        throw new TypeError(`${name}.put: the value must be a string or a JSON-serialisable value`);
      }
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      const bytes = Buffer.byteLength(text);
      if (bytes > BINDING_LIMITS.kvValueBytes) throw tooLarge(`the value is ${bytes} bytes; a KV value may be at most ${BINDING_LIMITS.kvValueBytes}`);
      await call('put', [checkKey(key, BINDING_LIMITS.kvKeyBytes), text, options?.expirationTtl ?? null]);
    },
    async delete(key: string): Promise<void> {
      await call('delete', [checkKey(key, BINDING_LIMITS.kvKeyBytes)]);
    },
    async list(options: ListOptions = {}): Promise<unknown> {
      const page = (await call('list', [listArgs(options)])) as { keys: Array<{ name: string; expiration: number | null }>; cursor: string | null };
      // Workers KV gives expirations in epoch seconds.
      const keys = page.keys.map((k) => (k.expiration === null ? { name: k.name } : { name: k.name, expiration: Math.floor(k.expiration / 1000) }));
      return page.cursor === null ? { keys, list_complete: true } : { keys, list_complete: false, cursor: page.cursor };
    },
  });
}

function bucket(name: string, call: Call): object {
  return Object.freeze({
    async get(key: string): Promise<object | null> {
      const got = (await call('get', [checkKey(key, BINDING_LIMITS.objectKeyBytes)])) as { info: WireInfo; data: string; b64: boolean } | null;
      if (got === null) return null;
      let bytes: Buffer | undefined;
      const buffer = () => (bytes ??= Buffer.from(got.data, got.b64 ? 'base64' : 'utf8'));
      return {
        ...objectInfo(got.info),
        text: async () => (got.b64 ? buffer().toString('utf8') : got.data),
        json: async () => JSON.parse(got.b64 ? buffer().toString('utf8') : got.data) as unknown,
        arrayBuffer: async () => {
          const b = buffer();
          return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
        },
      };
    },
    async head(key: string): Promise<object | null> {
      const info = (await call('head', [checkKey(key, BINDING_LIMITS.objectKeyBytes)])) as WireInfo | null;
      return info === null ? null : objectInfo(info);
    },
    async put(key: string, body: unknown, options?: { contentType?: string; httpMetadata?: { contentType?: string } }): Promise<object> {
      const k = checkKey(key, BINDING_LIMITS.objectKeyBytes);
      const contentType = options?.contentType ?? options?.httpMetadata?.contentType ?? null;
      const wire = await bodyToWire(body);
      if (wire.bytes > BINDING_LIMITS.objectBytes) throw tooLarge(`the object is ${wire.bytes} bytes; an object may be at most ${BINDING_LIMITS.objectBytes}`);
      // Inline when the message surely fits a frame: base64 as is, text even if JSON escaping grows it 6×.
      const small = wire.b64 ? wire.data.length <= MAX_PART_CHARS : wire.bytes <= MAX_INLINE_TEXT_BYTES;
      const info = (await call(
        'put',
        [k, small ? { data: wire.data, b64: wire.b64 } : null, contentType],
        small ? undefined : wire.b64 ? wire.data : Buffer.from(wire.data).toString('base64'),
      )) as WireInfo;
      return objectInfo(info);
    },
    async delete(key: string): Promise<boolean> {
      return (await call('delete', [checkKey(key, BINDING_LIMITS.objectKeyBytes)])) as boolean;
    },
    async list(options: ListOptions = {}): Promise<unknown> {
      const page = (await call('list', [listArgs(options)])) as { objects: WireInfo[]; cursor: string | null };
      const objects = page.objects.map(objectInfo);
      return page.cursor === null ? { objects, truncated: false } : { objects, truncated: true, cursor: page.cursor };
    },
  });
}

/** `{ attributes }` checked for the honest path (the host checks again): string values, at most BINDING_LIMITS.topicAttributes. */
function publishAttributes(name: string, options: unknown): Record<string, string> | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object') throw new TypeError(`${name}.publish: options must be an object like { attributes: { key: 'value' } }`);
  const attributes = (options as { attributes?: unknown }).attributes;
  if (attributes === undefined) return undefined;
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) throw new TypeError(`${name}.publish: attributes must be an object of string values`);
  const entries = Object.entries(attributes);
  if (entries.length > BINDING_LIMITS.topicAttributes) throw new TypeError(`${name}.publish: a message has at most ${BINDING_LIMITS.topicAttributes} attributes, got ${entries.length}`);
  for (const [k, v] of entries) if (typeof v !== 'string') throw new TypeError(`${name}.publish: attribute "${k}" must be a string, got ${typeof v}`);
  return entries.length === 0 ? undefined : (attributes as Record<string, string>);
}

function topic(name: string, call: Call): object {
  const publishAll = async (messages: unknown[], options?: unknown) => {
    const attributes = publishAttributes(name, options);
    if (messages.length === 0 || messages.length > BINDING_LIMITS.topicBatchMessages) {
      throw new TypeError(`${name}.publishBatch: send 1 to ${BINDING_LIMITS.topicBatchMessages} messages, got ${messages.length}`);
    }
    let total = 0;
    for (const m of messages) {
      const text = m === undefined ? undefined : JSON.stringify(m);
      if (text === undefined) throw new TypeError(`${name}.publish: a message must be a JSON-serialisable value`);
      const bytes = Buffer.byteLength(text);
      if (bytes > BINDING_LIMITS.topicMessageBytes) throw tooLarge(`a message is ${bytes} bytes; a topic message may be at most ${BINDING_LIMITS.topicMessageBytes}`);
      total += bytes;
    }
    if (total > BINDING_LIMITS.topicBatchBytes) throw tooLarge(`the batch is ${total} bytes; a batch may be at most ${BINDING_LIMITS.topicBatchBytes}`);
    return (await call('publish', attributes ? [messages, attributes] : [messages])) as { messageIds: string[]; deliveries: number };
  };
  return Object.freeze({
    async publish(message: unknown, options?: { attributes?: Record<string, string> }): Promise<{ messageId: string; deliveries: number }> {
      const r = await publishAll([message], options);
      return { messageId: r.messageIds[0] ?? '', deliveries: r.deliveries };
    },
    publishBatch: (messages: unknown[], options?: { attributes?: Record<string, string> }) => {
      if (!Array.isArray(messages)) return Promise.reject(new TypeError(`${name}.publishBatch: pass an array of messages`));
      return publishAll(messages, options);
    },
  });
}

function objectInfo(info: WireInfo): { key: string; size: number; etag: string; contentType: string; uploaded: Date } {
  return { key: info.key, size: info.size, etag: info.etag, contentType: info.contentType, uploaded: new Date(info.uploadedAt) };
}

async function bodyToWire(body: unknown): Promise<{ data: string; b64: boolean; bytes: number }> {
  if (typeof body === 'string') return { data: body, b64: false, bytes: Buffer.byteLength(body) };
  let bytes: Uint8Array;
  if (body instanceof ArrayBuffer) bytes = new Uint8Array(body);
  else if (ArrayBuffer.isView(body)) bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  else if (body instanceof Blob) bytes = new Uint8Array(await body.arrayBuffer());
  else throw new TypeError('put: the body must be a string, an ArrayBuffer, a typed array (Uint8Array, Buffer) or a Blob');
  return { data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), b64: true, bytes: bytes.byteLength };
}

function listArgs(options: ListOptions): ListOptions {
  const out: ListOptions = {};
  if (options.prefix !== undefined) out.prefix = options.prefix;
  if (options.cursor !== undefined) out.cursor = options.cursor;
  if (options.limit !== undefined) out.limit = options.limit;
  return out;
}

function checkKey(key: unknown, max: number): string {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError(`a key must be a non-empty string, got ${typeof key === 'string' ? 'an empty string' : typeof key}`);
  const bytes = Buffer.byteLength(key);
  if (bytes > max) throw tooLarge(`the key is ${bytes} bytes; a key may be at most ${max}`);
  return key;
}

function tooLarge(message: string): NimbusBindingError {
  return new NimbusBindingError({ code: 'VALUE_TOO_LARGE', message });
}

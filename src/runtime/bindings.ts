/**
 * The host side of binding calls (`env.SESSIONS.get('k')` in a function). A call comes from an
 * untrusted sandbox, so each one is validated (zod), checked against the grants of the calling
 * instance's own function version (`config.bindings`: a sandbox can only name its own function's
 * bindings, and the names it reaches — KV namespaces, buckets, topics — are owned by its app, which
 * deploy enforces), limited (key, value and object sizes; calls in flight) and only then run on
 * the service. Every failure becomes a reply with a stable code; nothing here throws.
 *
 * The wire ops are listed in `sandbox/bindings.ts`.
 */
import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { Binding, FunctionVersion } from '../domain/index.js';
import type { KvStore } from '../kv/port.js';
import { MAX_KV_KEY_BYTES, MAX_KV_VALUE_BYTES } from '../kv/port.js';
import type { HostMessage, SandboxMessage } from '../sandbox/protocol.js';
import { BINDING_LIMITS } from '../sandbox/protocol.js';
import { NimbusError, type ErrorCode } from '../shared/errors.js';
import type { ObjectStore } from '../storage/port.js';
import { MAX_OBJECT_BYTES } from '../storage/port.js';
import { parentContext, traceparentOf } from '../tracing/index.js';
import type { EventCause, TopicPublisher } from '../triggers/port.js';
import { messageAttributesSchema } from '../triggers/attributes.js';

/**
 * The services bindings reach. Read at call time, so the composition root may fill one in after
 * the runtime exists; a missing one answers BINDING_ERROR "not available".
 */
export interface BindingServices {
  kv?: KvStore | undefined;
  objects?: ObjectStore | undefined;
  topics?: TopicPublisher | undefined;
}

export type BindingCall = Extract<SandboxMessage, { t: 'call' }>;
export type BindingPart = Extract<SandboxMessage, { t: 'part' }>;
export type BindingReply = Extract<HostMessage, { t: 'reply' }>;

/** Calls one instance may have in flight; more is a runaway loop, not a workload. */
const MAX_IN_FLIGHT = 64;
/**
 * Object reads and writes one instance runs at once; more wait their turn. A 64 MB object is
 * ~85 MB of base64 text on the host while it crosses, so this bounds what one instance can pin.
 */
const MAX_TRANSFERS = 2;
/** Base64 characters of `part`s an instance may have buffered: one largest object. */
const MAX_PART_CHARS_BUFFERED = Math.ceil(MAX_OBJECT_BYTES / 3) * 4;
/**
 * Base64 characters of `part`s all instances of the node may have buffered at once, by default:
 * two largest objects. A function that sends parts and never their call (issue 8, finding 5) pins
 * at most this much of the node together with every other one doing so.
 */
export const DEFAULT_TRANSFER_BUDGET = 2 * MAX_PART_CHARS_BUFFERED;

/** One instance's end of the binding calls (`close` once the instance is gone). */
export type BindingSession = ((message: BindingCall | BindingPart) => void) & { close(): void };

const key = z.string().min(1);
const listOptions = z.strictObject({
  prefix: z.string().max(1024).optional(),
  cursor: z.string().max(4096).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});
const OPS = {
  kv: {
    get: z.tuple([key]),
    put: z.tuple([
      key,
      z.string(),
      z
        .number()
        .min(1)
        .max(10 * 365 * 24 * 3600)
        .nullable(),
    ]),
    delete: z.tuple([key]),
    list: z.tuple([listOptions]),
  },
  bucket: {
    get: z.tuple([key]),
    head: z.tuple([key]),
    list: z.tuple([listOptions]),
    put: z.tuple([key, z.object({ data: z.string(), b64: z.boolean() }).nullable(), z.string().min(1).max(256).nullable()]),
    delete: z.tuple([key]),
  },
  topic: {
    publish: z.union([
      z.tuple([z.array(z.unknown()).min(1).max(BINDING_LIMITS.topicBatchMessages)]),
      z.tuple([z.array(z.unknown()).min(1).max(BINDING_LIMITS.topicBatchMessages), messageAttributesSchema]),
    ]),
  },
} as const;
const BUCKET_WRITES = new Set(['put', 'delete']);

export class BindingHost {
  /** Base64 characters of parts buffered by all sessions. */
  private buffered = 0;

  /** `transferBudget`: base64 characters of parts all sessions may buffer at once (DEFAULT_TRANSFER_BUDGET). */
  constructor(
    private readonly services: BindingServices,
    private readonly transferBudget = DEFAULT_TRANSFER_BUDGET,
    private readonly tracer?: Tracer,
  ) {}

  /** Base64 characters of `part`s held for calls not made yet, node-wide. */
  get bufferedChars(): number {
    return this.buffered;
  }

  /**
   * One instance's end of the calls: buffers `part`s, caps calls in flight, sends each reply.
   * `onRefused` hears of each BINDING_NOT_GRANTED (for the function's log: code may swallow the error).
   * `causeHop`: the hop of the invocation(s) the instance runs when a call arrives (runtime/hops.ts);
   * events the call causes (topic messages, bucket notifications) carry it + 1.
   * `traceOf`: the trace context of the invocation a call comes from; the call's CLIENT span is its
   * child (tracing on), and the events it causes continue that trace.
   */
  session(
    fn: FunctionVersion,
    reply: (message: BindingReply) => void,
    onRefused?: (inv: string | null, message: string) => void,
    causeHop: () => number = () => 0,
    traceOf: (inv: string | null) => string | undefined = () => undefined,
  ): BindingSession {
    // The shim sends a call's parts and then the call at once: one call's parts are open at a
    // time (the transport kills a sandbox that interleaves them; a newer call's parts replace older ones here).
    let open: { cid: number; slices: string[]; chars: number; overflow: 'size' | 'budget' | undefined } | undefined;
    let inFlight = 0;
    let transfers = 0;
    const waiting: Array<() => void> = [];
    const drop = (entry: NonNullable<typeof open>, why: 'size' | 'budget') => {
      this.buffered -= entry.chars;
      Object.assign(entry, { slices: [], chars: 0, overflow: why });
    };
    const isTransfer = (m: BindingCall) => (m.op === 'get' || m.op === 'put') && fn.config.bindings?.[m.binding]?.type === 'bucket' && Object.hasOwn(fn.config.bindings, m.binding);
    const handle = (m: BindingCall | BindingPart): void => {
      if (m.t === 'part') {
        if (open && open.cid !== m.cid) drop(open, 'size');
        if (!open || open.cid !== m.cid) open = { cid: m.cid, slices: [], chars: 0, overflow: undefined };
        if (open.overflow) return;
        // Dropped when over a limit: the call it belongs to fails (VALUE_TOO_LARGE, or BINDING_ERROR for the node's budget).
        if (open.chars + m.data.length > MAX_PART_CHARS_BUFFERED) drop(open, 'size');
        else if (this.buffered + m.data.length > this.transferBudget) drop(open, 'budget');
        else {
          open.slices.push(m.data);
          open.chars += m.data.length;
          this.buffered += m.data.length;
        }
        return;
      }
      const entry = open?.cid === m.cid ? open : undefined;
      open = undefined;
      if (entry) this.buffered -= entry.chars;
      if (entry?.overflow === 'size') return reply(failure(m.cid, 'VALUE_TOO_LARGE', `the object is larger than ${MAX_OBJECT_BYTES} bytes, the most an object may be`));
      if (entry?.overflow === 'budget')
        return reply(failure(m.cid, 'BINDING_ERROR', `the node is holding its limit of ${Math.round(this.transferBudget / 1048576)} MB of object uploads in flight; retry in a moment`));
      if (inFlight >= MAX_IN_FLIGHT) return reply(failure(m.cid, 'BINDING_ERROR', `more than ${MAX_IN_FLIGHT} binding calls in flight at once; await some before starting more`));
      inFlight++;
      // Read when the call arrives, not when its turn comes: the instance may have moved on by then.
      const cause: EventCause = { hop: causeHop() + 1 };
      const span = this.bindingSpan(fn, m, traceOf(m.inv), cause);
      const transfer = isTransfer(m);
      const turn = !transfer ? Promise.resolve() : transfers < MAX_TRANSFERS ? (transfers++, Promise.resolve()) : new Promise<void>((go) => waiting.push(go));
      void turn
        .then(() => this.call(fn, m, entry ? Buffer.from(entry.slices.join(''), 'base64') : undefined, cause))
        .then((r) => {
          inFlight--;
          if (transfer) {
            // Hand the slot straight to the next waiting transfer, if any.
            const next = waiting.shift();
            if (next) next();
            else transfers--;
          }
          if (span && !r.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: r.error.code });
          span?.end();
          if (!r.ok && r.error.code === 'BINDING_NOT_GRANTED') onRefused?.(m.inv, `binding call refused: ${r.error.message}`);
          reply(r);
        });
    };
    return Object.assign(handle, {
      close: () => {
        if (open) drop(open, 'size');
        open = undefined;
      },
    });
  }

  /** The call's CLIENT span under its invocation's (tracing on); what it causes continues the trace either way. */
  private bindingSpan(fn: FunctionVersion, m: BindingCall, traceparent: string | undefined, cause: EventCause): Span | undefined {
    if (traceparent === undefined) return undefined;
    if (!this.tracer) {
      cause.traceparent = traceparent;
      return undefined;
    }
    const binding = Object.hasOwn(fn.config.bindings ?? {}, m.binding) ? fn.config.bindings?.[m.binding] : undefined;
    const kind = binding?.type ?? 'binding';
    const span = this.tracer.startSpan(
      `${kind} ${m.op}`,
      { kind: SpanKind.CLIENT, attributes: { 'nimbus.binding': m.binding, 'nimbus.binding.type': kind, 'nimbus.binding.op': m.op, ...(m.inv ? { 'faas.invocation_id': m.inv } : {}) } },
      parentContext(traceparent),
    );
    cause.traceparent = traceparentOf(span);
    return span;
  }

  /**
   * Run one call for an instance of `fn`. Never rejects. `blob`: a body sent as `part`s. `cause`:
   * what events the call causes carry (default: hop 1, as from an invocation started from outside).
   */
  async call(fn: FunctionVersion, m: BindingCall, blob?: Buffer, cause: EventCause = { hop: 1 }): Promise<BindingReply> {
    try {
      const value = await this.run(fn, m, blob, cause);
      return { t: 'reply', cid: m.cid, ok: true, value: value ?? null };
    } catch (err) {
      if (err instanceof NimbusError) return failure(m.cid, err.code, err.message);
      return failure(m.cid, 'BINDING_ERROR', `${m.binding}.${m.op} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async run(fn: FunctionVersion, m: BindingCall, blob: Buffer | undefined, cause: EventCause): Promise<unknown> {
    const binding = grant(fn, m);
    const schema = (OPS[binding.type] as Record<string, z.ZodType<unknown[]>>)[m.op];
    if (!Object.hasOwn(OPS[binding.type], m.op) || !schema) {
      throw new NimbusError('BINDING_ERROR', `env.${m.binding} is a ${binding.type} binding; it has no operation "${m.op}"`);
    }
    const parsed = schema.safeParse(m.args);
    if (!parsed.success)
      throw new NimbusError('BINDING_ERROR', `bad arguments to env.${m.binding}.${m.op}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ')}`);
    const args = parsed.data;
    switch (binding.type) {
      case 'kv':
        // Stored per owning app: a name another app takes over later starts empty, and data is
        // never deleted just because a deploy stopped naming the namespace.
        return this.kv(`${fn.app}/${binding.kv}`, m.op, args);
      case 'bucket':
        return this.bucket(binding.bucket, m.op, args, blob, cause);
      case 'topic':
        return this.topic(binding.topic, args, cause);
    }
  }

  private async kv(namespace: string, op: string, args: unknown[]): Promise<unknown> {
    const kv = available(this.services.kv, 'KV');
    if (op === 'list') return kv.list(namespace, args[0] as z.infer<typeof listOptions>);
    const k = checkKey(args[0] as string, MAX_KV_KEY_BYTES);
    if (op === 'get') return kv.get(namespace, k);
    if (op === 'delete') return kv.delete(namespace, k);
    const value = args[1] as string;
    const bytes = Buffer.byteLength(value);
    if (bytes > MAX_KV_VALUE_BYTES) throw new NimbusError('VALUE_TOO_LARGE', `the value is ${bytes} bytes; a KV value may be at most ${MAX_KV_VALUE_BYTES}`);
    const ttl = args[2] as number | null;
    return kv.put(namespace, k, value, ttl === null ? {} : { ttlSeconds: ttl });
  }

  private async bucket(bucket: string, op: string, args: unknown[], blob: Buffer | undefined, cause: EventCause): Promise<unknown> {
    const objects = available(this.services.objects, 'Object storage');
    if (op === 'list') return objects.list(bucket, args[0] as z.infer<typeof listOptions>);
    const k = checkKey(args[0] as string, BINDING_LIMITS.objectKeyBytes);
    switch (op) {
      case 'get': {
        const got = await objects.get(bucket, k);
        if (!got) return null;
        const text = isUtf8(got.body);
        return { info: got.info, data: got.body.toString(text ? 'utf8' : 'base64'), b64: !text };
      }
      case 'head':
        return (await objects.head(bucket, k)) ?? null;
      case 'delete':
        return objects.delete(bucket, k, cause);
      default: {
        const inline = args[1] as { data: string; b64: boolean } | null;
        const body = inline ? Buffer.from(inline.data, inline.b64 ? 'base64' : 'utf8') : blob;
        if (!body) throw new NimbusError('BINDING_ERROR', `env put: no body was sent for "${k}"`);
        if (body.length > MAX_OBJECT_BYTES) throw new NimbusError('VALUE_TOO_LARGE', `the object is ${body.length} bytes or more; an object may be at most ${MAX_OBJECT_BYTES}`);
        const contentType = args[2] as string | null;
        return objects.put(bucket, k, body, contentType ?? undefined, cause);
      }
    }
  }

  private async topic(topic: string, args: unknown[], cause: EventCause): Promise<unknown> {
    const topics = available(this.services.topics, 'Topics');
    const messages = args[0] as unknown[];
    let total = 0;
    for (const message of messages) {
      const bytes = Buffer.byteLength(JSON.stringify(message) ?? '');
      if (bytes > BINDING_LIMITS.topicMessageBytes) throw new NimbusError('VALUE_TOO_LARGE', `a message is ${bytes} bytes; a topic message may be at most ${BINDING_LIMITS.topicMessageBytes}`);
      total += bytes;
    }
    if (total > BINDING_LIMITS.topicBatchBytes) throw new NimbusError('VALUE_TOO_LARGE', `the batch is ${total} bytes; a batch may be at most ${BINDING_LIMITS.topicBatchBytes}`);
    const attributes = args[1] as Record<string, string> | undefined;
    return topics.publish(topic, messages, cause, attributes ? { attributes } : {});
  }
}

/** The binding the call names, if the function's manifest grants it for this operation. */
function grant(fn: FunctionVersion, m: BindingCall): Binding {
  const where = `functions.${fn.name}.bindings in nimbus.yaml`;
  const bindings = fn.config.bindings ?? {};
  const binding = Object.hasOwn(bindings, m.binding) ? bindings[m.binding] : undefined;
  if (!binding) {
    throw new NimbusError(
      'BINDING_NOT_GRANTED',
      `${fn.app}/${fn.name} has no binding named "${m.binding}": add it under ${where}, e.g. ${m.binding}: { kv: <namespace> } (or { bucket: <name> }, { topic: <name> }), and deploy again`,
    );
  }
  if (binding.type === 'bucket' && Object.hasOwn(OPS.bucket, m.op)) {
    const writes = BUCKET_WRITES.has(m.op);
    if ((writes && binding.access === 'read') || (!writes && binding.access === 'write')) {
      const need = binding.access === 'read' ? 'readwrite (or write)' : 'readwrite (or read)';
      throw new NimbusError(
        'BINDING_NOT_GRANTED',
        `env.${m.binding} is bound to bucket "${binding.bucket}" with access: ${binding.access}, which does not allow ${m.op}(): set access: ${need} on ${m.binding} under ${where}, and deploy again`,
      );
    }
  }
  return binding;
}

function available<T>(service: T | undefined, what: string): T {
  if (!service) throw new NimbusError('BINDING_ERROR', `${what} is not available on this server`);
  return service;
}

function checkKey(k: string, max: number): string {
  const bytes = Buffer.byteLength(k);
  if (bytes > max) throw new NimbusError('VALUE_TOO_LARGE', `the key is ${bytes} bytes; a key may be at most ${max}`);
  return k;
}

function failure(cid: number, code: ErrorCode, message: string): BindingReply {
  return { t: 'reply', cid, ok: false, error: { code, message } };
}

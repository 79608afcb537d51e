/**
 * Lambda response streaming: the `awslambda` global that AWS's Node runtime provides, with
 * `streamifyResponse(handler)` and `HttpResponseStream.from(stream, { statusCode, headers, cookies })`,
 * so a module written for Lambda response streaming loads and runs unchanged. The handler gets a
 * Node Writable; its writes go out as `chunk`s under the host's credits (a write's callback waits
 * for credit, which is the Writable's own backpressure). Invoked with an event rather than an
 * HTTP request (the control API), the written bytes are buffered and returned as a string.
 */
import { Writable } from 'node:stream';
import type { LambdaContext } from './lambda.js';
import { streamBytes, type StreamWriter } from './streaming.js';

const STREAMIFIED = Symbol.for('nimbus.streamifyResponse');

export type StreamingHandler = (event: unknown, responseStream: LambdaResponseStream, context: LambdaContext) => unknown;

interface Prelude {
  statusCode?: number;
  headers?: Record<string, unknown>;
  cookies?: unknown[];
}

/** The response stream a streamified handler writes to. */
export class LambdaResponseStream extends Writable {
  private prelude: Prelude = {};
  private contentType: string | undefined;
  private headSent = false;
  /** Without a writer (an event invocation): what was written, kept for the result. */
  readonly buffered: Buffer[] = [];
  /** Why the stream failed (not a write after a cancel), reported as the invocation's error. */
  failure: Error | undefined;

  constructor(private readonly writer: StreamWriter | undefined) {
    super();
    // Writes after a cancel fail with ERR_STREAM_DESTROYED: a handler without an error listener must not crash the instance.
    this.on('error', (err: Error) => {
      if (!writer?.cancelled) this.failure ??= err;
    });
    writer?.onCancel(() => this.destroy());
  }

  setContentType(type: string): void {
    this.contentType = String(type);
  }

  /** @internal HttpResponseStream.from */
  setPrelude(prelude: Prelude): void {
    if (this.headSent) throw new Error('HttpResponseStream.from() must be called before the first write');
    this.prelude = prelude ?? {};
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.writer) {
      this.buffered.push(Buffer.from(streamBytes(chunk)));
      callback();
      return;
    }
    try {
      this.sendHead();
    } catch (err) {
      callback(err as Error);
      return;
    }
    this.writer.write(streamBytes(chunk)).then(
      () => callback(),
      (err: unknown) => callback(err as Error),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      if (this.writer) this.sendHead();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  /** Status and headers go out with the first byte (or the end): until then HttpResponseStream.from may set them. */
  sendHead(): void {
    if (this.headSent || !this.writer) return;
    this.headSent = true;
    const status = this.prelude.statusCode ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) throw new TypeError(`statusCode must be an integer between 200 and 599, got ${String(status)}`);
    const headers: [string, string][] = [];
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- header values are stringified as Lambda does.
    for (const [k, v] of Object.entries(this.prelude.headers ?? {})) if (v !== undefined && v !== null) headers.push([k.toLowerCase(), String(v)]);
    for (const c of this.prelude.cookies ?? []) headers.push(['set-cookie', String(c)]);
    if (!headers.some(([k]) => k === 'content-type')) headers.push(['content-type', this.contentType ?? 'application/octet-stream']);
    this.writer.head(status, headers);
  }
}

/** Install `globalThis.awslambda` (before any bundle is loaded). */
export function installAwsLambdaGlobal(): void {
  const awslambda = {
    streamifyResponse<T extends StreamingHandler>(handler: T): T {
      if (typeof handler !== 'function') throw new TypeError('awslambda.streamifyResponse expects a handler function');
      Object.defineProperty(handler, STREAMIFIED, { value: true });
      return handler;
    },
    HttpResponseStream: {
      from(stream: LambdaResponseStream, prelude: Prelude): LambdaResponseStream {
        if (!(stream instanceof LambdaResponseStream)) throw new TypeError('HttpResponseStream.from expects the responseStream the handler was given');
        stream.setPrelude(prelude);
        return stream;
      },
    },
  };
  Object.defineProperty(globalThis, 'awslambda', { value: awslambda, writable: true, configurable: true });
}

export function isStreamified(handler: unknown): handler is StreamingHandler {
  return typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[STREAMIFIED] === true;
}

/**
 * Run a streamified handler to the end of its stream: a handler that returns without ending the
 * stream has it ended for it. Resolves with what was buffered (event invocations), else undefined.
 */
export async function runStreamified(handler: StreamingHandler, event: unknown, context: LambdaContext, writer: StreamWriter | undefined): Promise<string | undefined> {
  const stream = new LambdaResponseStream(writer);
  const over = new Promise<void>((resolve) => {
    stream.once('finish', resolve);
    stream.once('close', resolve);
  });
  try {
    await handler(event, stream, context);
    if (!stream.writableEnded && !stream.destroyed) stream.end();
    await over;
    if (stream.failure) throw stream.failure;
  } finally {
    writer?.close();
  }
  return writer ? undefined : Buffer.concat(stream.buffered).toString('utf8');
}

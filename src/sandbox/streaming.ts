/**
 * Response streaming, sandbox side: `head`, then the body in `chunk`s, under the host's credits
 * (protocol.ts). A writer waits while it has no credit, so a function that produces faster than
 * the client reads is paused here, in its own memory, not buffered on the host. A `cancel` from
 * the host (client gone, stream over its limit) wakes the writer and stops the body's source.
 */
import { isUtf8 } from 'node:buffer';
import type { HostMessage, SandboxMessage } from './protocol.js';
import { STREAM_CHUNK_BYTES, STREAM_WINDOW } from './protocol.js';

interface Flow {
  credit: number;
  cancelled: boolean;
  /** Resolves the writer waiting for credit (or for the cancel). */
  wake: (() => void) | undefined;
  onCancel: (() => void) | undefined;
}

/** Streams in flight in this process, by invocation id. */
const flows = new Map<string, Flow>();

/** A `credit` or `cancel` from the host; one for a stream that is over is ignored. */
export function receiveFlow(message: Extract<HostMessage, { t: 'credit' | 'cancel' }>): void {
  const flow = flows.get(message.id);
  if (!flow) return;
  if (message.t === 'credit') flow.credit += Math.max(0, Math.floor(message.n));
  else {
    flow.cancelled = true;
    flow.onCancel?.();
  }
  const wake = flow.wake;
  flow.wake = undefined;
  wake?.();
}

/** The sending end of one streamed response. */
export class StreamWriter {
  private readonly flow: Flow = { credit: STREAM_WINDOW, cancelled: false, wake: undefined, onCancel: undefined };

  constructor(
    readonly id: string,
    private readonly send: (message: SandboxMessage) => void,
  ) {}

  get cancelled(): boolean {
    return this.flow.cancelled;
  }

  /** Status and headers; the stream is open from here on. */
  head(status: number, headers: [string, string][]): void {
    flows.set(this.id, this.flow);
    this.send({ t: 'head', id: this.id, status, headers });
  }

  /** Called once, when the host cancels the stream. */
  onCancel(listener: () => void): void {
    this.flow.onCancel = listener;
  }

  /** Send bytes, in pieces, each when there is credit for it; false once the stream is cancelled. */
  async write(bytes: Uint8Array): Promise<boolean> {
    for (let at = 0; at < bytes.length; at += STREAM_CHUNK_BYTES) {
      while (this.flow.credit <= 0 && !this.flow.cancelled) await new Promise<void>((resolve) => (this.flow.wake = resolve));
      if (this.flow.cancelled) return false;
      this.flow.credit--;
      const piece = Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.min(STREAM_CHUNK_BYTES, bytes.length - at));
      const text = isUtf8(piece);
      this.send({ t: 'chunk', id: this.id, data: piece.toString(text ? 'utf8' : 'base64'), b64: !text });
    }
    return !this.flow.cancelled;
  }

  /** The stream is over (ended, failed or cancelled): forget its flow state. */
  close(): void {
    flows.delete(this.id);
  }
}

/** Bytes of a stream value: Uint8Array as is, a string as UTF-8 (undici would refuse it; streaming is kinder). */
export function streamBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(`a streamed response body must yield Uint8Array or string chunks, got ${value === null ? 'null' : typeof value}`);
}

/** Send a web Response's body stream (status and headers first) until it ends or the host cancels. */
export async function pumpWebStream(writer: StreamWriter, status: number, headers: [string, string][], body: ReadableStream<unknown>): Promise<void> {
  const reader = body.getReader();
  writer.onCancel(() => void reader.cancel().catch(() => {}));
  writer.head(status, headers);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || writer.cancelled) return;
      if (!(await writer.write(streamBytes(value)))) return;
    }
  } finally {
    writer.close();
  }
}

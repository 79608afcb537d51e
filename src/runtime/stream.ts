/**
 * Response streaming, host side: one `HostStream` per streamed invocation, between the sandbox's
 * `head`/`chunk`/`end` messages and the caller's `StreamSink` (the gateway's HTTP response).
 *
 *   no head ──head──▶ open ──end──▶ ended (the sink is ended)
 *                      │ client gone, over the byte limit, head refused
 *                      ▼
 *                     cut (`cancel` sent; chunks still arriving are dropped) ──end | error──▶ answered with the cut's error
 *
 * Flow control: the sandbox may send STREAM_WINDOW chunks ahead; each chunk the sink has flushed
 * to the client earns one `credit`. So the host holds at most STREAM_WINDOW × STREAM_CHUNK_BYTES
 * per stream whatever the producer does, and a chunk past the credit is a protocol violation.
 * A failure after the head (timeout, crash, error, cut) aborts the sink: the client sees the
 * response end early, never a clean end.
 */
import type { HostMessage } from '../sandbox/protocol.js';
import { STREAM_WINDOW } from '../sandbox/protocol.js';
import type { ErrorCode } from '../shared/errors.js';

/** Where a streamed response goes (the gateway writes it to the client). */
export interface StreamSink {
  /**
   * The function's status and headers. Returns why they cannot be sent (the sink then answered the
   * client itself), or undefined. `onGone` is called when the client goes away (at once if it has).
   */
  head(status: number, headers: [string, string][], onGone: () => void): string | undefined;
  /** A piece of the body; `flushed` once it has left for the client. */
  write(data: Buffer, flushed: () => void): void;
  /** The body is complete. */
  end(): void;
  /** The stream failed after its head was sent: cut the response short. */
  abort(): void;
}

export interface StreamInfo {
  /** The status the client was sent. */
  status: number;
  /** Body bytes the function streamed (up to the cut). */
  bytes: number;
}

export class HostStream {
  status: number | undefined;
  bytes = 0;
  /** Why the stream was stopped before its end, if it was: the invocation's error. */
  cut: { code: ErrorCode; message: string } | undefined;
  /** Chunks the sandbox may still send without a new credit. */
  private credit = STREAM_WINDOW;
  private sinkOpen = false;
  private over = false;

  constructor(
    private readonly id: string,
    private readonly sink: StreamSink | undefined,
    private readonly send: (message: HostMessage) => void,
    private readonly limitBytes: number,
    private readonly log: (line: string) => void,
  ) {}

  get info(): StreamInfo | undefined {
    return this.status === undefined ? undefined : { status: this.status, bytes: this.bytes };
  }

  /** A `head` message; returns a protocol violation, if it is one. */
  head(status: number, headers: [string, string][]): string | undefined {
    if (this.status !== undefined) return `a second "head" for invocation ${this.id}`;
    this.status = status;
    if (!this.sink) {
      this.stop('INVALID_RESPONSE', 'a streamed response can only answer an HTTP request');
      return undefined;
    }
    if (this.cut) {
      this.send({ t: 'cancel', id: this.id });
      return undefined;
    }
    const problem = this.sink.head(status, headers, () => this.stop('CLIENT_CLOSED', 'the client closed the connection during the streamed response; the stream was cancelled'));
    if (problem !== undefined) this.stop('INVALID_RESPONSE', `the function's response cannot be sent: ${problem}`);
    else this.sinkOpen = true;
    return undefined;
  }

  /** A `chunk` message; returns a protocol violation, if it is one. */
  chunk(data: string, b64: boolean): string | undefined {
    if (this.status === undefined) return `a "chunk" before the "head" of invocation ${this.id}`;
    if (--this.credit < 0) return `more stream chunks than the host granted credit for (invocation ${this.id})`;
    if (this.cut || !this.sink) return undefined;
    const bytes = Buffer.from(data, b64 ? 'base64' : 'utf8');
    this.bytes += bytes.length;
    if (this.bytes > this.limitBytes) {
      this.log(`[nimbus] streamed response cut after ${this.bytes - bytes.length} bytes: it passed the stream limit of ${this.limitBytes} bytes (RESPONSE_TOO_LARGE)`);
      this.bytes -= bytes.length;
      this.stop('RESPONSE_TOO_LARGE', `the streamed response passed the limit of ${this.limitBytes} bytes and was cut`);
      this.sinkOpen = false;
      this.sink.abort();
      return undefined;
    }
    this.sink.write(bytes, () => {
      if (this.cut || this.over) return;
      this.credit++;
      this.send({ t: 'credit', id: this.id, n: 1 });
    });
    return undefined;
  }

  /** The invocation is answered: a clean end ends the response, anything else cuts it short. */
  finish(ok: boolean): void {
    this.over = true;
    if (!this.sinkOpen) return;
    this.sinkOpen = false;
    if (ok && !this.cut) this.sink!.end();
    else this.sink!.abort();
  }

  private stop(code: ErrorCode, message: string): void {
    if (this.cut || this.over) return;
    this.cut = { code, message };
    if (this.status !== undefined) this.send({ t: 'cancel', id: this.id });
  }
}

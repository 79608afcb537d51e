/**
 * A streamed function response, written to the client as the function produces it (the runtime's
 * `StreamSink`). The head goes out under the same rules as a buffered answer (respond.ts), without
 * a Content-Length (chunked encoding); each piece's write callback tells the runtime it has left,
 * which lets the function send the next (flow control, runtime/stream.ts). A failure after the
 * head cuts the connection, so the client sees an incomplete response, never a clean end.
 */
import type { ServerResponse } from 'node:http';
import type { StreamSink } from '../runtime/index.js';
import { NimbusError } from '../shared/errors.js';
import { sendError } from '../shared/http.js';
import { publicError } from './public-error.js';
import { functionHeaders, responseProblem } from './respond.js';

export class ResponseStream implements StreamSink {
  /** The function started a stream: the gateway writes nothing else for this request. */
  used = false;
  /** The gateway cut the response itself (it failed after its head): not the client going away. */
  aborted = false;
  private noBody = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly method: string,
    private readonly invocationId: string,
    private readonly cors: [string, string][] | undefined,
  ) {}

  head(status: number, headers: [string, string][], onGone: () => void): string | undefined {
    this.used = true;
    const res = this.res;
    if (res.destroyed) {
      onGone();
      return undefined;
    }
    const problem = responseProblem({ status, headers, body: '', b64: false });
    if (problem !== undefined) {
      sendError(res, publicError(new NimbusError('INVALID_RESPONSE', `the function's response cannot be sent: ${problem}`)), this.invocationId, this.cors);
      return problem;
    }
    this.noBody = this.method === 'HEAD' || status === 204 || status === 304;
    const list = functionHeaders(headers, this.cors);
    list.push('x-nimbus-invocation-id', this.invocationId);
    res.writeHead(status, list);
    // The client learns the status now, not with the first piece (an event stream may wait a while for it).
    res.flushHeaders();
    res.once('close', () => {
      if (!res.writableFinished && !this.aborted) onGone();
    });
    return undefined;
  }

  write(data: Buffer, flushed: () => void): void {
    if (this.noBody || this.res.destroyed) {
      flushed();
      return;
    }
    this.res.write(data, () => flushed());
  }

  end(): void {
    this.res.end();
  }

  abort(): void {
    this.aborted = true;
    this.res.destroy();
  }

  /** After the invocation: a stream that somehow never ended must not leave the client hanging. */
  settle(): void {
    if (!this.res.writableEnded && !this.res.destroyed) this.abort();
  }
}

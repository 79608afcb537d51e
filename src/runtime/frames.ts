/**
 * Host side of the NDJSON channel to a sandbox. The sandbox is untrusted, so a line longer than
 * MAX_FRAME_BYTES, or one that is not JSON, is a protocol violation (the caller kills the instance)
 * instead of something the host tries to buffer or parse.
 */
import { MAX_FRAME_BYTES } from '../sandbox/protocol.js';

export class FrameDecoder {
  private pending = '';

  constructor(
    private readonly onFrame: (value: unknown) => void,
    private readonly onViolation: (reason: string) => void,
    private readonly maxFrame = MAX_FRAME_BYTES,
  ) {}

  push(chunk: string): void {
    let start = 0;
    let newline = chunk.indexOf('\n');
    if (newline === -1) return this.append(chunk);
    while (newline !== -1) {
      const line = this.pending.length > 0 ? this.pending + chunk.slice(start, newline) : chunk.slice(start, newline);
      this.pending = '';
      if (line.length > 0 && !this.parse(line)) return;
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) this.append(chunk.slice(start));
  }

  private append(text: string): void {
    this.pending += text;
    if (this.pending.length > this.maxFrame) {
      this.pending = '';
      this.onViolation(`a message from the sandbox exceeded ${this.maxFrame} bytes`);
    }
  }

  private parse(line: string): boolean {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.onViolation('the sandbox sent a line that is not JSON');
      return false;
    }
    this.onFrame(value);
    return true;
  }
}

/**
 * Log quotas, applied on the host to every line an instance writes, whatever path it took (the
 * stdout/stderr pipes, or `log` messages on fd 3, which the function can forge): a function's
 * output is untrusted, and every kept line is a row in the node's database.
 *
 * - a line is cut at `maxLineChars` (as the shim does for honest output);
 * - an invocation keeps at most `bytesPerInvocation` of output; lines written outside any
 *   invocation in flight (timers after the response) share one such allowance per instance,
 *   renewed with each invocation it serves;
 * - an instance keeps at most `linesPerSecond` lines in each second of the clock.
 *
 * Each cut is marked by one `[nimbus] log truncated` line (system stream): once per invocation for
 * the byte quota, once per second for the rate, never once per dropped line. Host lines (system
 * stream) pass untouched.
 */
import type { LogStream } from '../domain/index.js';
import type { Clock } from '../shared/clock.js';

export interface LogQuota {
  /** Bytes of output one invocation keeps. Default 1 MB. */
  bytesPerInvocation: number;
  /** Lines one instance keeps per second. Default 100. */
  linesPerSecond: number;
  /** Longest line kept, in characters (the rest is cut). Default 16 KB. */
  maxLineChars: number;
}

export const DEFAULT_LOG_QUOTA: LogQuota = { bytesPerInvocation: 1024 * 1024, linesPerSecond: 100, maxLineChars: 16 * 1024 };
export const LOG_TRUNCATED = '[nimbus] log truncated';

/** Invocations an instance served lately whose late lines (waitUntil, timers) keep their id. */
const RECENT = 64;

interface Allowance {
  bytes: number;
  cut: boolean;
}

export type LogEmit = (invocationId: string | null, stream: LogStream, line: string) => void;

export class LogGate {
  private readonly quota: LogQuota;
  private readonly running = new Map<string, Allowance>();
  private readonly recent: string[] = [];
  private outside: Allowance = { bytes: 0, cut: false };
  private second = Number.NaN;
  private lines = 0;
  private rateCut = false;

  constructor(
    quota: Partial<LogQuota> | undefined,
    private readonly clock: Clock,
    private readonly emit: LogEmit,
  ) {
    this.quota = { ...DEFAULT_LOG_QUOTA, ...quota };
  }

  /** An invocation starts on the instance: its own allowance, and a fresh one for lines outside. */
  begin(id: string): void {
    this.running.set(id, { bytes: 0, cut: false });
    this.outside = { bytes: 0, cut: false };
  }

  /** It was answered: later lines tagged with it count as outside any invocation. */
  end(id: string): void {
    if (!this.running.delete(id)) return;
    this.recent.push(id);
    if (this.recent.length > RECENT) this.recent.shift();
  }

  /** The invocation is in flight here (a line for one that ended comes after its record). */
  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  write(id: string | null, stream: LogStream, line: string): void {
    if (stream === 'system') return this.emit(id, stream, line);
    // An id this instance was never sent is forged: the line is the instance's, not that invocation's.
    const own = id !== null && (this.running.has(id) || this.recent.includes(id)) ? id : null;
    const allowance = (own !== null ? this.running.get(own) : undefined) ?? this.outside;
    if (allowance.cut) return;
    const second = Math.floor(this.clock.now() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.lines = 0;
      this.rateCut = false;
    }
    if (this.lines >= this.quota.linesPerSecond) {
      if (!this.rateCut) {
        this.rateCut = true;
        this.emit(own, 'system', `${LOG_TRUNCATED}: more than ${this.quota.linesPerSecond} lines in one second; lines are dropped until the next second`);
      }
      return;
    }
    const kept = line.length > this.quota.maxLineChars ? `${line.slice(0, this.quota.maxLineChars)}…[truncated]` : line;
    const bytes = Buffer.byteLength(kept) + 1;
    if (allowance.bytes + bytes > this.quota.bytesPerInvocation) {
      allowance.cut = true;
      const whose = allowance === this.outside ? 'output outside an invocation' : 'this invocation';
      this.emit(own, 'system', `${LOG_TRUNCATED}: ${whose} wrote more than ${this.quota.bytesPerInvocation} bytes of log; the rest is dropped`);
      return;
    }
    allowance.bytes += bytes;
    this.lines++;
    this.emit(own, stream, kept);
  }
}

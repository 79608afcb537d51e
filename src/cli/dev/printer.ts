/**
 * What `nimbus dev` prints while it runs: one line per invocation (method, path, status, duration,
 * cold) and the function's log lines, coloured by stream on a terminal and plain otherwise.
 *
 * The gateway answers after the runtime has made the invocation's record, so an HTTP record is
 * held until its answer is seen (which adds the method and path); records of other triggers
 * (events, schedules, topics, control-API invokes) are printed as they come.
 */
import type { InvocationRecord, LogLine, LogStream } from '../../domain/index.js';
import type { NodeObserver } from '../../server/options.js';

const ESC = '\u001b[';
const paint = (code: string) => (text: string) => `${ESC}${code}m${text}${ESC}0m`;
const plain = (text: string): string => text;

export interface Palette {
  stream(stream: LogStream): (text: string) => string;
  status(ok: boolean, httpStatus: number | null): (text: string) => string;
  dim(text: string): string;
}

export function palette(color: boolean): Palette {
  if (!color) return { stream: () => plain, status: () => plain, dim: plain };
  const red = paint('31');
  const yellow = paint('33');
  const green = paint('32');
  const cyan = paint('36');
  return {
    stream: (s) => (s === 'stderr' ? red : s === 'system' ? yellow : plain),
    status: (ok, http) => (!ok || (http ?? 200) >= 500 ? red : (http ?? 200) >= 400 ? yellow : green),
    dim: (t) => (t === '' ? t : cyan(t)),
  };
}

/** `12 ms`, `1.3 ms`, `2.1 s`. */
export function formatDuration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return ms >= 10 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

/** The line of one invocation: `GET /hello/world  200  12 ms  cold  hello v2`. */
export function invocationLine(r: InvocationRecord, request: { method: string; path: string } | undefined, p: Palette): string {
  const label = request ? `${request.method} ${request.path}` : `(${r.trigger})`;
  const status = r.httpStatus !== null && r.trigger === 'http' ? String(r.httpStatus) : r.status;
  const parts = [label, p.status(r.status === 'ok', r.trigger === 'http' ? r.httpStatus : null)(status), formatDuration(r.durationMs)];
  if (r.coldStart) parts.push('cold');
  parts.push(p.dim(`${r.function} v${r.version}`));
  if (r.errorCode !== null) parts.push(p.status(false, null)(`${r.errorCode}: ${r.errorMessage ?? ''}`));
  return parts.join('  ');
}

/** A gateway answer no function made (no route, refused by route auth, …). */
export function answerLine(r: { method: string; path: string; status: number; invocationId: string | null }, p: Palette): string {
  // A webhook's 202 carries the id of the event it queued; its delivery prints its own line.
  const tail = r.invocationId === null ? '(no invocation)' : `(event ${r.invocationId})`;
  return [`${r.method} ${r.path}`, p.status(r.status < 500, r.status)(String(r.status)), p.dim(tail)].join('  ');
}

export function logLine(l: LogLine, p: Palette): string {
  return `  ${p.dim(`${l.function} |`)} ${p.stream(l.stream)(l.line)}`;
}

/** HTTP records waiting for their answer; bounded, since an authorizer's record never gets one. */
const MAX_HELD = 1000;

/** The node observer of `nimbus dev`: turns records, log lines and answers into printed lines. */
export function devObserver(write: (line: string) => void, color: boolean): Required<NodeObserver> {
  const p = palette(color);
  const held = new Map<string, InvocationRecord>();
  return {
    record: (r) => {
      if (r.trigger !== 'http') return write(invocationLine(r, undefined, p));
      held.set(r.id, r);
      if (held.size > MAX_HELD) {
        const [oldest] = held.values();
        held.delete(oldest!.id);
        write(invocationLine(oldest!, undefined, p));
      }
    },
    log: (l) => write(logLine(l, p)),
    request: (a) => {
      const r = a.invocationId === null ? undefined : held.get(a.invocationId);
      if (r === undefined) return write(answerLine(a, p));
      held.delete(r.id);
      write(invocationLine({ ...r, httpStatus: a.status }, a, p));
    },
  };
}

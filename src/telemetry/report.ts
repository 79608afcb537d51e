import type { InvocationRecord, LogLine } from '../domain/index.js';

/** The Lambda-style summary line that ends every invocation's log. */
export function reportLine(r: InvocationRecord): string {
  const parts = [
    `REPORT RequestId: ${r.id}`,
    `Duration: ${r.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${r.billedMs} ms`,
    `Memory Size: ${r.memoryMb} MB`,
    `Max Memory Used: ${r.maxMemoryMb ?? 0} MB`,
  ];
  if (r.initMs !== null) parts.push(`Init Duration: ${r.initMs.toFixed(2)} ms`);
  parts.push(`Status: ${r.status}`);
  return parts.join('\t');
}

/**
 * A batch's log lines followed by one REPORT line per record. Derived where the batch is stored
 * (off the gateway's thread); a record is emitted after its invocation's output, so its REPORT
 * lands after that output.
 */
export function withReportLines(records: InvocationRecord[], lines: LogLine[]): LogLine[] {
  if (records.length === 0) return lines;
  const out = lines.slice();
  for (const r of records) {
    out.push({ seq: 0, invocationId: r.id, app: r.app, function: r.function, version: r.version, ts: r.startedAt + Math.round(r.durationMs), stream: 'system', line: reportLine(r) });
  }
  return out;
}

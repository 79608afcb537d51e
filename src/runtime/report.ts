import type { InvocationRecord } from '../domain/index.js';

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

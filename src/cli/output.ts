/**
 * Everything the CLI prints goes through here: human tables and fields on stdout, `--json` data
 * on stdout, and one error format (`error [CODE]: message`) so scripts and people can rely on it.
 */
import { type NimbusError, toNimbusError } from '../shared/errors.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Left-aligned columns separated by two spaces; no colors, so output pipes cleanly. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(headers), ...rows.map(fmt)].join('\n');
}

export function printTable(headers: string[], rows: string[][]): void {
  printLine(formatTable(headers, rows));
}

/** `label  value` pairs aligned on the value column. */
export function printFields(fields: Array<[string, string]>): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) printLine(`${k.padEnd(width)}  ${v}`);
}

export function formatTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

interface Issue {
  path?: unknown;
  line?: unknown;
  column?: unknown;
  message?: unknown;
}

/** `nimbus.yaml:4:13 functions.hello.memory: message`, the form the manifest loader uses. */
function issueLine(file: string, raw: Issue): string {
  const where = typeof raw.line === 'number' ? `${file}:${raw.line}:${typeof raw.column === 'number' ? raw.column : 1}` : file;
  const path = typeof raw.path === 'string' && raw.path !== '' ? ` ${raw.path}` : '';
  return `  ${where}${path}: ${String(raw.message)}`;
}

function detailLines(message: string, details: Record<string, unknown> | undefined): string[] {
  if (details === undefined) return [];
  const lines: string[] = [];
  const issues = details['issues'];
  const hasIssues = Array.isArray(issues);
  if (hasIssues) {
    const file = typeof details['file'] === 'string' ? details['file'] : 'manifest';
    // The local loader already lists its issues in the message; the server's may not.
    for (const issue of issues as Issue[]) {
      if (typeof issue.message === 'string' && message.includes(issue.message)) continue;
      lines.push(issueLine(file, issue));
    }
  }
  // Structured details (esbuild's error list, …) are for machines: `--json` has them, and the
  // message already says the same in words. Only short facts the message lacks are added.
  for (const [k, v] of Object.entries(details)) {
    if (k === 'issues' || (hasIssues && k === 'file')) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    if (k !== 'invocationId' && message.includes(String(v))) continue;
    lines.push(`  ${k === 'invocationId' ? 'invocation' : k}: ${String(v)}`);
  }
  return lines;
}

/** The human form of an error, as printed on stderr. */
export function formatError(err: NimbusError, hint?: string): string {
  const lines = [`error [${err.code}]: ${err.message}`, ...detailLines(err.message, err.details)];
  if (hint !== undefined) lines.push(hint);
  return lines.join('\n');
}

/**
 * Report a failure and make the process exit 1. With `--json` the error body (the same shape the
 * API answers with) goes to stdout, so a script reads one stream whatever happened.
 */
export function reportError(err: unknown, opts: { json: boolean; hint?: string | undefined }): void {
  const e = toNimbusError(err);
  if (opts.json) printJson(e.toJSON());
  else process.stderr.write(`${formatError(e, opts.hint)}\n`);
  process.exitCode = 1;
}

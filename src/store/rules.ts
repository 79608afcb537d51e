/**
 * Rules every Store adapter applies identically, kept in one place so the contract suite can
 * hold them all to the same answers.
 */
import type { LogLine } from '../domain/index.js';
import { NimbusError } from '../shared/errors.js';
import type { DeployFunctionInput, LogPage } from './port.js';

export interface LimitBounds {
  readonly default: number;
  readonly max: number;
}

export const INVOCATION_LIMIT: LimitBounds = { default: 50, max: 1000 };
/**
 * Log pages: at most 1,000 lines and about 1 MB of line text (UTF-8), so a read is bounded
 * whatever the lines hold; a larger `limit` is clamped. A stored line longer than
 * LOG_LINE_READ_CHARS is returned cut, with a note saying so (lines are capped when written,
 * but older data, or a writer that bypassed the cap, may hold megabyte lines).
 */
export const LOG_LIMIT: LimitBounds = { default: 1000, max: 1000 };
export const LOG_PAGE_BYTES = 1024 * 1024;
export const LOG_LINE_READ_CHARS = 64 * 1024;

/** A line of `chars` characters of which `line` holds at most the first LOG_LINE_READ_CHARS. */
export function cutLine(line: string, chars: number): string {
  return chars > LOG_LINE_READ_CHARS ? `${line} … [nimbus: line cut at ${LOG_LINE_READ_CHARS} of ${chars} characters]` : line;
}

/**
 * One page from `rows` (oldest first; the caller fetched at most limit + 1): stops at `limit`
 * lines or before the line that would take the page over LOG_PAGE_BYTES (a page holds at least
 * one line). `more`: lines after the page exist.
 */
export function takeLogPage(rows: Iterable<LogLine>, limit: number): LogPage {
  const lines: LogLine[] = [];
  let bytes = 0;
  for (const l of rows) {
    const size = Buffer.byteLength(l.line);
    if (lines.length >= limit || (lines.length > 0 && bytes + size > LOG_PAGE_BYTES)) return { lines, more: true };
    lines.push(l);
    bytes += size;
  }
  return { lines, more: false };
}

/**
 * The page size to use: the default when absent, otherwise clamped into 1..max.
 * A raw negative would mean "no limit" to SQLite, so it must never reach the query.
 */
export function clampLimit(limit: number | undefined, bounds: LimitBounds): number {
  if (limit === undefined || !Number.isFinite(limit)) return bounds.default;
  return Math.min(bounds.max, Math.max(1, Math.trunc(limit)));
}

/** A deploy naming one function twice has no meaning (which config wins?), so refuse it. */
export function assertUniqueNames(app: string, functions: readonly DeployFunctionInput[]): void {
  const seen = new Set<string>();
  for (const fn of functions) {
    if (seen.has(fn.name)) {
      throw new NimbusError('BAD_REQUEST', `deploy of app "${app}" lists function "${fn.name}" twice: give each function a unique name`);
    }
    seen.add(fn.name);
  }
}

/** Bundle size in bytes, as FunctionVersion.codeSize reports it. */
export function byteLength(code: string): number {
  return Buffer.byteLength(code, 'utf8');
}

export const AUDIT_LIMIT: LimitBounds = { default: 100, max: 1000 };

/** A second live key with a taken name would make `nimbus keys revoke <name>` ambiguous. */
export function duplicateKeyName(name: string): NimbusError {
  return new NimbusError('BAD_REQUEST', `a live key is already named "${name}": revoke it first or pick another name`);
}

export function functionMissing(app: string, name: string): NimbusError {
  return new NimbusError('FUNCTION_NOT_FOUND', `function "${name}" of app "${app}" does not exist`);
}

export function aliasVersionMissing(app: string, name: string, version: number): NimbusError {
  return new NimbusError('VERSION_NOT_FOUND', `function "${name}" of app "${app}" has no version ${version}: list its versions to pick one`);
}

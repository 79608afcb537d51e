/** Option parsers shared by commands, failing the way commander reports bad arguments. */
import { InvalidArgumentError } from 'commander';

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, e.g. 10');
  return n;
}

/** A size in bytes: `1048576`, `512kb`, `1mb` (binary units). */
export function parseBytes(value: string): number {
  const m = /^(\d+)\s*(b|kb|k|mb|m)?$/i.exec(value.trim());
  const unit = { b: 1, k: 1024, kb: 1024, m: 1024 * 1024, mb: 1024 * 1024 }[(m?.[2] ?? 'b').toLowerCase() as 'b'];
  const n = m ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a size, e.g. 1mb, 256kb or 1048576');
  return n;
}

/** A price in USD: a non-negative decimal, e.g. 0.0000002 or 2e-7. */
export function parsePrice(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a price in USD, e.g. 0.0000002 or 2e-7');
  return n;
}

export function parsePort(value: string): number {
  const n = parseCount(value);
  if (n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 = any free port)');
  return n;
}

/** For repeatable options: `--deploy a --deploy b` → ['a', 'b']. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export interface JsonFlag {
  json?: boolean;
}

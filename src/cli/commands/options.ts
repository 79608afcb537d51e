/** Option parsers shared by commands, failing the way commander reports bad arguments. */
import { InvalidArgumentError } from 'commander';

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, e.g. 10');
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

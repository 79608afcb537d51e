/**
 * `.env.dev`: the secrets `nimbus dev` sets on its node before deploying. `NAME=value` lines,
 * `#` comments and blank lines; a value may be wrapped in single or double quotes (kept as is
 * inside); an optional `export ` prefix is allowed so the file can be sourced by a shell too.
 * Values never leave this process except to the node's Secrets service: they are not printed.
 */
import { readFile } from 'node:fs/promises';
import { NimbusError } from '../../shared/errors.js';

export const ENV_DEV_FILE = '.env.dev';

/**
 * Parse the text of a `.env.dev` file.
 * @throws NimbusError BAD_REQUEST naming the line (never its value) when a line is not NAME=value.
 * @example parseEnvDev('# db\nDB_URL=postgres://x\n') // { DB_URL: 'postgres://x' }
 */
export function parseEnvDev(text: string, file = ENV_DEV_FILE): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(.*)$/.exec(line);
    if (m === null) throw new NimbusError('BAD_REQUEST', `${file}:${i + 1}: expected NAME=value (a name of letters, digits, _ and -), or a # comment`);
    const value = m[2] ?? '';
    const quoted = /^(["'])(.*)\1$/.exec(value);
    out[m[1]!] = quoted ? (quoted[2] ?? '') : value;
  });
  return out;
}

/** The secrets of `file`, or none when it does not exist. */
export async function readEnvDev(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new NimbusError('BAD_REQUEST', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseEnvDev(text, file);
}

/**
 * Turning a `<fn>` argument into an app and a function. Inside an app directory a bare `hello`
 * means that app's function; `app/hello` works anywhere. Only the `app:` key of nimbus.yaml is
 * read: naming a function must not depend on the whole manifest being valid or bundlable.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { NimbusError } from '../shared/errors.js';

export const MANIFEST_FILE = 'nimbus.yaml';
/** The names the manifest loader accepts, in its order (kept here so naming needs no zod). */
export const MANIFEST_FILES = [MANIFEST_FILE, 'nimbus.yml'] as const;

export interface FunctionTarget {
  app: string;
  fn: string;
}

async function readManifest(dir: string): Promise<{ file: string; text: string } | undefined> {
  for (const name of MANIFEST_FILES) {
    const file = join(dir, name);
    try {
      return { file, text: await readFile(file, 'utf8') };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return undefined;
}

/** The `app:` of `<dir>/nimbus.yaml`, or undefined when there is no manifest there. */
export async function appNameIn(dir: string): Promise<string | undefined> {
  const found = await readManifest(dir);
  if (found === undefined) return undefined;
  const { file, text } = found;
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new NimbusError('MANIFEST_INVALID', `${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const app = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['app'] : undefined;
  if (typeof app !== 'string' || app === '') {
    throw new NimbusError('MANIFEST_INVALID', `${file} has no "app:" name: add a line like "app: my-app"`, {
      details: { issues: [{ path: 'app', message: 'required: the name of the app' }] },
    });
  }
  return app;
}

/**
 * Resolve `hello` (inside an app directory) or `app/hello` (anywhere).
 * @example await resolveFunction('shop/checkout', '/tmp') // { app: 'shop', fn: 'checkout' }
 */
export async function resolveFunction(ref: string, cwd: string): Promise<FunctionTarget> {
  const parts = ref.split('/');
  if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') return { app: parts[0] ?? '', fn: parts[1] ?? '' };
  if (parts.length !== 1 || ref === '') {
    throw new NimbusError('BAD_REQUEST', `"${ref}" is not a function name: write "name" inside an app directory or "app/name"`);
  }
  const app = await appNameIn(cwd);
  if (app === undefined) {
    throw new NimbusError('BAD_REQUEST', `"${ref}" names no app and there is no ${MANIFEST_FILE} in ${cwd} to take it from: ` + `write "<app>/${ref}", or run the command inside the app's directory`);
  }
  return { app, fn: ref };
}

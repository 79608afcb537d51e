/**
 * The `handler:` string of a function. Two forms:
 * - a module file, `src/hello.ts`: its default export `{ fetch }` (web style) or its `handler` export;
 * - Lambda style, `src/app.lambdaHandler`: export `lambdaHandler` of `src/app.{ts,js,mjs,cjs}`.
 */
import { posix } from 'node:path';
import type { HandlerRef } from '../domain/types.js';

/** A handler ending in one of these names a module file, not an export. */
export const MODULE_EXTENSIONS = ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.mts', '.cts'] as const;
/** Tried in this order to find the file of a Lambda-style handler. */
export const RESOLVE_EXTENSIONS = ['.ts', '.js', '.mjs', '.cjs'] as const;

const EXPORT_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const FORMS = 'use a module file ("src/hello.ts") or a file and an export ("src/app.handler")';

/**
 * Parse a handler string. Throws an Error saying how to fix it.
 * @example parseHandler('src/app.lambdaHandler') // { file: 'src/app', export: 'lambdaHandler' }
 */
export function parseHandler(s: string): HandlerRef {
  if (s.trim() !== s || s === '') throw new Error(`handler "${s}" is empty or has surrounding spaces: ${FORMS}`);
  const file = normalizeFile(s);
  if (MODULE_EXTENSIONS.some((ext) => file.endsWith(ext))) return { file, export: null };
  const slash = file.lastIndexOf('/');
  const dot = file.lastIndexOf('.');
  if (dot <= slash + 1) throw new Error(`handler "${s}" names neither a module file nor an export: ${FORMS}`);
  const name = file.slice(dot + 1);
  if (!EXPORT_NAME.test(name)) {
    throw new Error(`"${name}" in handler "${s}" is not a JavaScript export name (letters, digits, "_", "$"): ${FORMS}`);
  }
  return { file: file.slice(0, dot), export: name };
}

// The bundle must come from inside the app directory, so the manifest stays portable.
function normalizeFile(s: string): string {
  if (s.includes('\\')) throw new Error(`handler "${s}": use "/" to separate directories`);
  if (posix.isAbsolute(s) || /^[A-Za-z]:/.test(s)) {
    throw new Error(`handler "${s}" must be a path relative to the app directory`);
  }
  const file = posix.normalize(s);
  if (file === '..' || file.startsWith('../')) {
    throw new Error(`handler "${s}" points outside the app directory: move the file inside it`);
  }
  return file;
}

/**
 * The files that may hold a handler, relative to the app directory, in the order the loader
 * tries them: the file itself, or for Lambda style each of {@link RESOLVE_EXTENSIONS}.
 */
export function handlerCandidates(ref: HandlerRef): string[] {
  if (ref.export === null || MODULE_EXTENSIONS.some((ext) => ref.file.endsWith(ext))) return [ref.file];
  return RESOLVE_EXTENSIONS.map((ext) => ref.file + ext);
}

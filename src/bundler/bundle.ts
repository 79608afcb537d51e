/**
 * One function → one self-contained ESM bundle. The app's npm dependencies are inlined, Node
 * builtins stay imports; the sandbox imports the bundle from a data: URL, so nothing may be
 * resolved relative to the bundle's own location at run time.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import type { BuildFailure, Message, Metafile } from 'esbuild';
import type { FunctionConfig } from '../domain/types.js';
import { NimbusError } from '../shared/errors.js';

export interface Bundle {
  /** Minified ESM JavaScript, ending with its source map (`//# sourceMappingURL=data:…`). */
  code: string;
  /** sha256 hex of `code`. */
  codeHash: string;
  /** Bytes of `code` (UTF-8). */
  size: number;
  /** Absolute paths of the files the bundle was built from (esbuild's metafile): what `nimbus dev` watches. */
  inputs: string[];
}

/** One esbuild problem as BUNDLE_FAILED reports it in `details.errors`. */
export interface BundleProblem {
  /** Relative to the app directory; absent when esbuild gives no location. */
  file?: string;
  line?: number;
  column?: number;
  text: string;
}

/**
 * CommonJS code and dependencies call `require` (for builtins and each other); an ESM module has
 * none, so the bundle makes one. It cannot use import.meta.url, which is a data: URL in the sandbox.
 */
export const REQUIRE_BANNER = 'import{createRequire as __nimbusCreateRequire}from"node:module";const require=__nimbusCreateRequire("/nimbus/function.js");';

/**
 * The same fixed location for code that derives paths from its own module (the common
 * `createRequire(import.meta.url)`), which would otherwise throw on the data: URL.
 */
const IMPORT_META_DEFINES = {
  'import.meta.url': JSON.stringify('file:///nimbus/function.js'),
  'import.meta.filename': JSON.stringify('/nimbus/function.js'),
  'import.meta.dirname': JSON.stringify('/nimbus'),
};

/**
 * Bundle a function's handler (`config.handler.file`, relative to `appDir`) and check the export
 * it names exists.
 * @throws NimbusError BUNDLE_FAILED with `details: { function, errors }`.
 */
export async function bundleFunction(appDir: string, name: string, config: FunctionConfig): Promise<Bundle> {
  const entry = config.handler.file;
  let code: string;
  let metafile: Metafile;
  try {
    const result = await build({
      entryPoints: [resolve(appDir, entry)],
      absWorkingDir: resolve(appDir),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: true,
      write: false,
      // Inline, without the sources' text: the sandbox maps stack frames back to the user's files
      // and lines (src/sandbox/stack.ts); paths are relative to the app directory.
      sourcemap: 'inline',
      sourcesContent: false,
      legalComments: 'none',
      logLevel: 'silent',
      metafile: true,
      banner: { js: REQUIRE_BANNER },
      define: IMPORT_META_DEFINES,
    });
    const output = result.outputFiles[0];
    if (output === undefined || result.outputFiles.length !== 1) {
      throw bundleError(name, [{ text: `expected one output file, esbuild produced ${result.outputFiles.length}` }]);
    }
    code = output.text;
    metafile = result.metafile;
  } catch (err) {
    if (err instanceof NimbusError) throw err;
    if (isBuildFailure(err)) throw bundleError(name, err.errors.map(toProblem));
    throw bundleError(name, [{ text: err instanceof Error ? err.message : String(err) }], err);
  }
  checkExports(name, entry, config.handler.export, metafile);
  // Metafile paths are relative to absWorkingDir; esbuild's own virtual inputs (`<runtime>`) are no files.
  const inputs = Object.keys(metafile.inputs)
    .filter((p) => !p.startsWith('<'))
    .map((p) => resolve(appDir, p.replace(/^[a-z-]+:/, '')));
  return { code, codeHash: createHash('sha256').update(code).digest('hex'), size: Buffer.byteLength(code), inputs };
}

/**
 * A Lambda-style handler must export the name it is configured with; a module handler must
 * export a default or `handler`. CommonJS entries only show `default` (the whole
 * `module.exports`), so they are left to the sandbox's load check.
 */
function checkExports(name: string, entry: string, wanted: string | null, metafile: Metafile): void {
  const output = Object.values(metafile.outputs)[0];
  if (output === undefined) return;
  const format = output.entryPoint === undefined ? undefined : metafile.inputs[output.entryPoint]?.format;
  if (format === 'cjs') return;
  const exports = output.exports;
  const list = exports.length === 0 ? 'it exports nothing' : `it exports: ${exports.join(', ')}`;
  if (wanted !== null && !exports.includes(wanted)) {
    throw bundleError(name, [{ file: entry, text: `no export named "${wanted}" (${list}); export it or fix the handler in nimbus.yaml` }]);
  }
  if (wanted === null && !exports.includes('default') && !exports.includes('handler')) {
    throw bundleError(name, [{ file: entry, text: `exports neither a default (web style: export default { fetch }) nor "handler" (${list})` }]);
  }
}

function toProblem(message: Message): BundleProblem {
  const loc = message.location;
  if (loc === null) return { text: message.text };
  // esbuild columns are 0-based; editors and the manifest's messages count from 1.
  return { file: loc.file, line: loc.line, column: loc.column + 1, text: message.text };
}

function formatProblem(p: BundleProblem): string {
  if (p.file === undefined) return p.text;
  return p.line === undefined ? `${p.file}: ${p.text}` : `${p.file}:${p.line}:${p.column ?? 1}: ${p.text}`;
}

function bundleError(name: string, errors: BundleProblem[], cause?: unknown): NimbusError {
  const lines = errors.map((e) => `  ${formatProblem(e)}`);
  return new NimbusError('BUNDLE_FAILED', [`cannot bundle function "${name}":`, ...lines].join('\n'), {
    cause,
    details: { function: name, errors },
  });
}

function isBuildFailure(err: unknown): err is BuildFailure {
  return err instanceof Error && Array.isArray((err as Partial<BuildFailure>).errors);
}

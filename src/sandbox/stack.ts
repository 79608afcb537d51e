/**
 * Stack traces in the user's files and lines. The bundle is minified and imported from a data:
 * URL, so V8 would name every frame `n (data:text/javascript;base64,<the whole bundle>:1:2345)`.
 * Two fixes, both here:
 * - `prepareBundle` gives the module a short name (`//# sourceURL=/nimbus/function.js`) and takes
 *   off the inline source map the bundler appended (Node's own `--enable-source-maps` cannot use
 *   it: Node 20 looks maps up by the frame's script URL, and a data: URL is never found);
 * - `Error.prepareStackTrace` maps each frame of the bundle through that map (decoded on the first
 *   stack that needs it, so a function that never fails pays nothing at start; source-map.ts):
 *   `at inner (src/util.ts:2:9)`.
 * A function (or a library such as source-map-support) may install its own prepareStackTrace;
 * then its frames are what it makes of them.
 */
import { CompactSourceMap } from './source-map.js';

/** The name stack frames of the bundle carry (the same path the bundle's `require` is rooted at). */
export const BUNDLE_NAME = '/nimbus/function.js';
const MAP_MARKER = '//# sourceMappingURL=data:application/json;base64,';

let mapBase64: string | undefined;
/** The bundle's lines, to find a function's name token from where V8 says the function starts. */
let lines: string[] = [];
let parsed: CompactSourceMap | null | undefined;
/** The first frame in the user's own code of each error whose stack was made, for records. */
const userFrames = new WeakMap<object, string>();

/** The code to import for `code` (the bundle as stored): named, without its map, which is kept for later. */
export function prepareBundle(code: string): string {
  const at = code.lastIndexOf(MAP_MARKER);
  mapBase64 = at === -1 ? undefined : code.slice(at + MAP_MARKER.length).trim();
  parsed = undefined;
  const body = at === -1 ? code : code.slice(0, at);
  lines = body.split('\n');
  return `${body}\n//# sourceURL=${BUNDLE_NAME}\n`;
}

/** Make every stack of this process map frames of the bundle. */
export function installStackMapping(): void {
  Error.prepareStackTrace = formatStack;
}

/** `src/util.ts:2:9`: where in the user's code `err` was thrown (its first frame outside node_modules, else the first mapped one). */
export function userFrame(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  void (err as { stack?: unknown }).stack; // V8 makes the stack (and so the entry) on first read
  return userFrames.get(err);
}

function sourceMap(): CompactSourceMap | null {
  if (parsed !== undefined) return parsed;
  try {
    parsed = mapBase64 === undefined ? null : new CompactSourceMap(JSON.parse(Buffer.from(mapBase64, 'base64').toString('utf8')) as ConstructorParameters<typeof CompactSourceMap>[0]);
  } catch {
    parsed = null;
  }
  return parsed;
}

type Site = NodeJS.CallSite;

function formatStack(err: Error, sites: Site[]): string {
  let first: string | undefined;
  let firstOwn: string | undefined;
  const frames = sites.map((site, i) => {
    const mapped = mapFrame(site, sites[i + 1]);
    // V8's own text of a frame (CallSite's toString), as the default stack has it.
    if (mapped === undefined) return `\n    at ${(site as { toString(): string }).toString()}`;
    first ??= mapped.where;
    if (!mapped.where.startsWith('node_modules/') && !mapped.where.includes('/node_modules/')) firstOwn ??= mapped.where;
    return `\n    at ${mapped.text}`;
  });
  const where = firstOwn ?? first;
  if (where !== undefined && typeof err === 'object' && err !== null) userFrames.set(err, where);
  return header(err) + frames.join('');
}

/** A frame of the bundle in the original source, or undefined for any other frame (or no map). */
function mapFrame(site: Site, caller: Site | undefined): { text: string; where: string } | undefined {
  if (site.getScriptNameOrSourceURL() !== BUNDLE_NAME) return undefined;
  const map = sourceMap();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (map === null || line === null || column === null) return undefined;
  const entry = map.find(line, column);
  if (entry === undefined) return undefined;
  const where = `${entry.source}:${entry.line}:${entry.column}`;
  const name = originalName(map, site, caller);
  const prefix = site.isAsync() ? 'async ' : site.isConstructor() ? 'new ' : '';
  return { text: name === undefined ? `${prefix}${where}` : `${prefix}${name} (${where})`, where };
}

/**
 * The function's name in the source: the map's name at the function's start, else at the call
 * that called it (esbuild names the identifier of a call, `inner(x)`), else what V8 calls it.
 */
function originalName(map: CompactSourceMap, site: Site, caller: Site | undefined): string | undefined {
  const nameAt = (line: number | null, column: number | null): string | undefined => (line === null || column === null ? undefined : map.find(line, column)?.name);
  const line = site.getEnclosingLineNumber();
  const column = site.getEnclosingColumnNumber();
  let named = nameAt(line, column);
  if (named === undefined && line !== null && column !== null) {
    // V8's start of `async function u(` is its first token; the map names the identifier `u`.
    const head = /^(?:async\s*)?function\s*\*?\s*([\w$]+)/.exec(lines[line - 1]?.slice(column - 1, column + 63) ?? '');
    if (head?.[1] !== undefined) named = nameAt(line, column + head[0].length - head[1].length);
  }
  if (named === undefined && caller !== undefined && caller.getScriptNameOrSourceURL() === BUNDLE_NAME) named = nameAt(caller.getLineNumber(), caller.getColumnNumber());
  const own = site.getFunctionName() ?? site.getMethodName();
  const type = site.getTypeName();
  const v8Name = own === null ? undefined : type !== null && type !== 'global' && !site.isToplevel() ? `${type}.${own}` : own;
  return named ?? v8Name ?? undefined;
}

/** `TypeError [ERR_X]: message`, as Node writes its own errors' first line. */
function header(err: Error): string {
  try {
    const text = Error.prototype.toString.call(err);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^ERR_[A-Z0-9_]+$/.test(code) && !text.includes(`[${code}]`)) return text.replace(/^([^:]*)/, `$1 [${code}]`);
    return text;
  } catch {
    return '<error>';
  }
}

/**
 * `/tmp` for a sandbox without its own mount namespace (isolation off, or a host without
 * bubblewrap). Lambda code writes `/tmp/x` directly; Node's permission model lets the process
 * write only its private temp dir, so `/tmp/...` paths given to `fs` are redirected there: the
 * function sees its own `/tmp`, empty at start, gone with the instance, and no other instance's
 * files (nor the host's /tmp).
 *
 * With bubblewrap the sandbox's `/tmp` IS its private tmpfs (isolation/launcher.ts), the temp dir
 * is `/tmp` and nothing is redirected.
 *
 * What is redirected: string and `file:` URL paths passed to `node:fs` and `node:fs/promises`
 * functions (callback, sync and promise forms; both paths of rename, copyFile, cp, link, symlink).
 * Paths that fs returns (realpath, mkdtemp) name the real folder, which works just as well.
 * Buffer paths, child processes and native code are not redirected (the last two are refused by
 * the permission model anyway).
 */
import { createRequire } from 'node:module';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';

type Fn = (...args: unknown[]) => unknown;

/** Functions whose first argument is a path (with `Sync` and promise twins where they exist). */
const ONE_PATH = [
  'access',
  'appendFile',
  'chmod',
  'chown',
  'lchown',
  'lutimes',
  'mkdir',
  'mkdtemp',
  'open',
  'openAsBlob',
  'opendir',
  'readdir',
  'readFile',
  'readlink',
  'realpath',
  'rm',
  'rmdir',
  'stat',
  'lstat',
  'statfs',
  'truncate',
  'unlink',
  'utimes',
  'watch',
  'watchFile',
  'unwatchFile',
  'exists',
  'writeFile',
  'createReadStream',
  'createWriteStream',
];
/** Functions taking two paths (source and destination). */
const TWO_PATHS = ['rename', 'copyFile', 'cp', 'link', 'symlink'];

/** `/tmp` and `/tmp/...` → the same under `root`; a path already inside `root` is left alone. */
export function tmpMapper(root: string): (path: string) => string {
  return (path) => {
    if (!path.startsWith('/tmp')) return path;
    const n = posix.normalize(path);
    if (n !== '/tmp' && !n.startsWith('/tmp/')) return path;
    if (n === root || n.startsWith(`${root}/`)) return path;
    return root + n.slice('/tmp'.length);
  };
}

/** Redirect `/tmp` paths of the `fs` module (and `fs.promises`) to `root`. No-op when root is /tmp. */
export function redirectTmp(root: string | undefined): void {
  if (root === undefined || root === '' || posix.normalize(root) === '/tmp') return;
  const mapPath = tmpMapper(posix.normalize(root));
  const map = (p: unknown): unknown => {
    if (typeof p === 'string') return mapPath(p);
    if (p instanceof URL && p.protocol === 'file:') {
      const path = fileURLToPath(p);
      const mapped = mapPath(path);
      return mapped === path ? p : mapped;
    }
    return p;
  };
  // The CommonJS module objects: what bundles (`require('fs')`) and the ESM facades (after
  // syncBuiltinESMExports, which the shim calls) both read.
  const require = createRequire(import.meta.url);
  const fs = require('node:fs') as Record<string, unknown>;
  const promises = require('node:fs/promises') as Record<string, unknown>;
  for (const [names, count] of [
    [ONE_PATH, 1],
    [TWO_PATHS, 2],
  ] as const) {
    for (const name of names) {
      wrap(fs, name, count, map);
      wrap(fs, `${name}Sync`, count, map);
      wrap(promises, name, count, map);
    }
  }
}

function wrap(target: Record<string, unknown>, name: string, count: 1 | 2, map: (p: unknown) => unknown): void {
  const original = target[name];
  if (typeof original !== 'function') return;
  const fn = original as Fn;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    for (let i = 0; i < count && i < args.length; i++) args[i] = map(args[i]);
    return fn.apply(this, args);
  };
  // Keep what hangs on the function (realpath.native, exists' promisify.custom).
  for (const key of Reflect.ownKeys(fn)) {
    if (key === 'length' || key === 'name' || key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    const d = Object.getOwnPropertyDescriptor(fn, key);
    if (!d) continue;
    // A promisify.custom twin (exists) takes the path first too.
    const twin = d.value as unknown;
    if (typeof key === 'symbol' && typeof twin === 'function') d.value = (...args: unknown[]) => (twin as Fn)(map(args[0]), ...args.slice(1));
    Object.defineProperty(wrapped, key, d);
  }
  if (name === 'realpath' || name === 'realpathSync') {
    const native = (fn as unknown as { native?: Fn }).native;
    if (typeof native === 'function') (wrapped as unknown as { native: Fn }).native = (...args: unknown[]) => native(map(args[0]), ...args.slice(1));
  }
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  target[name] = wrapped;
}

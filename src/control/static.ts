/**
 * The dashboard's files (built by Vite into dist/dashboard) served on the admin port beside /v1:
 * known content types, `index.html` for client routes, no way out of the root, and long caching
 * for Vite's content-hashed assets (their name changes when their bytes do).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** Serves files under `root`; answers false when the request is not for it (not GET/HEAD). */
export function staticFiles(root: string): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean> {
  const base = resolve(root);
  return async (req, res, pathname) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      rel = '\0';
    }
    const file = resolve(base, `.${rel.startsWith('/') ? rel : `/${rel}`}`);
    // `..` and encoded variants resolve outside the root: answer as for any unknown path.
    const inside = !rel.includes('\0') && (file === base || file.startsWith(base + sep));
    const found = inside ? await isFile(file) : false;
    // A client route (`/functions/x`) gets the app; a missing asset (with an extension) a 404.
    const target = found ? file : extname(rel) === '' || rel.endsWith('/') ? join(base, 'index.html') : undefined;
    if (!target || !(await isFile(target))) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return true;
    }
    const hashed = target.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(target).pipe(res);
    return true;
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

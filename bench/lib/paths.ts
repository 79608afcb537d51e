/** Where things are, computed from this compiled file's place in dist/bench/lib/. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root (the directory holding package.json). */
export const repoRoot = resolve(here, '..', '..', '..');
/** Compiled child-process entry points (load generators, the bare server). */
export const workersDir = resolve(here, '..', 'workers');
/** The Nimbus CLI entry point, as `npm run build` emits it. */
export const nimbusCli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
/** Committed results live here; tmp/ and prof/ below it are ignored by git. */
export const resultsDir = join(repoRoot, 'bench', 'results');
export const cacheDir = join(resultsDir, 'tmp');
export const profDir = join(resultsDir, 'prof');

export function worker(name: string): string {
  return join(workersDir, `${name}.js`);
}

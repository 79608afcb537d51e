#!/usr/bin/env node
// Runs every compiled *.test.js under dist/src and dist/test with node's test runner. Listing the
// files ourselves keeps helpers under test/ (harness, fixtures) from being run as tests, which a
// bare `node --test dist/test` would do. Extra arguments (e.g. a file filter) are passed through.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = ['dist/src', 'dist/test']
  .flatMap((d) => find(d))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...flags, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);

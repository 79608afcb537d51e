#!/usr/bin/env node
// Runs every compiled *.test.js under dist/src and dist/test with node's test runner. Listing the
// files ourselves keeps helpers under test/ (harness, fixtures) from being run as tests, which a
// bare `node --test dist/test` would do. Extra arguments (e.g. a file filter) are passed through.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { URL, fileURLToPath } from 'node:url';

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
// The raw output as before (spec on a terminal, TAP otherwise), plus a summary reporter writing to
// a file, printed once the run is over; a run given its own --test-reporter is left alone.
const own = flags.some((f) => f.startsWith('--test-reporter'));
const tmp = own ? undefined : mkdtempSync(join(tmpdir(), 'nimbus-test-summary-'));
const summaryFile = tmp && join(tmp, 'summary.json');
const reporters = own
  ? []
  : [
      `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
      '--test-reporter-destination=stdout',
      `--test-reporter=${fileURLToPath(new URL('./test-summary-reporter.mjs', import.meta.url))}`,
      `--test-reporter-destination=${summaryFile}`,
    ];
const started = Date.now();
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...reporters, ...flags, ...files], { stdio: 'inherit' });
if (summaryFile) {
  printSummary(summaryFile, Date.now() - started, result.status);
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(result.status ?? 1);

/** Totals, wall time and the failed tests with their files, after everything else. */
function printSummary(file, ms, status) {
  let s;
  try {
    s = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    console.log(`\n── summary: not available (the runner ended with status ${status}) ──`);
    return;
  }
  const seconds = (ms / 1000).toFixed(1);
  const todo = s.todo > 0 ? `, ${s.todo} todo` : '';
  const cancelled = s.cancelled > 0 ? ` (${s.cancelled} cancelled by their suite)` : '';
  console.log(`\n── summary ─────────────────────────────────────────────`);
  console.log(`${s.failed === 0 && status === 0 ? 'PASS' : 'FAIL'}  ${s.passed} passed, ${s.failed} failed${cancelled}, ${s.skipped} skipped${todo}  in ${seconds} s (${files.length} files)`);
  for (const f of s.failures) {
    const where = f.file ? relative(process.cwd(), f.file.startsWith('file:') ? fileURLToPath(f.file) : f.file) : 'unknown file';
    console.log(`  ✗ ${f.name}  (${where})${f.error ? `\n      ${f.error}` : ''}`);
  }
}

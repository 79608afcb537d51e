/** Write latest.json, latest.md and the charts; refresh the quoted block of BENCHMARKS.md. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../lib/paths.js';
import { jsonNumbers } from './format.js';
import { ratiosTable, renderMarkdown, runHeader, table, targetsTable } from './markdown.js';
import type { RunReport } from './report.js';
import { renderChart } from './svg.js';

/** Writes into `dir`; returns the paths written. */
export function writeResults(report: RunReport, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    written.push(join(dir, name));
  };
  put('latest.json', `${compactArrays(JSON.stringify(report, jsonNumbers, 2))}\n`);
  put('latest.md', renderMarkdown(report));
  for (const c of report.cases) for (const chart of c.charts) put(chart.file, renderChart(chart));
  return written;
}

/** Put arrays of plain numbers (samples, CDF points) on one line: the file stays diffable and short. */
function compactArrays(json: string): string {
  const flat = /\[\s*(?:(?:-?\d[\d.e+-]*|null)\s*,\s*)*(?:-?\d[\d.e+-]*|null)\s*\]/g;
  let prev = '';
  let out = json;
  // Innermost first: [[1, 2], [3, 4]] needs two passes.
  while (prev !== out) {
    prev = out;
    out = out.replace(flat, (m) => m.replace(/\s+/g, '').replace(/,/g, ', '));
    out = out.replace(/\[\s*((?:\[[^[\]\n]*\],\s*)*\[[^[\]\n]*\])\s*\]/g, (_m, inner: string) => `[${inner.replace(/\],\s+\[/g, '], [')}]`);
  }
  return out;
}

const BEGIN = '<!-- bench:begin (written by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:end -->';

/** Replace the generated block of BENCHMARKS.md (create the file if it is missing). */
export function updateBenchmarksMd(report: RunReport): string {
  const file = join(repoRoot, 'BENCHMARKS.md');
  const block = [
    BEGIN,
    '',
    ...runHeader(report),
    '',
    '### Targets',
    '',
    ...targetsTable(report.cases),
    '',
    '### Ratios (measured within the same run)',
    '',
    ...ratiosTable(report.cases),
    '',
    ...report.cases.flatMap((c) => {
      const main = c.tables[0];
      const status = c.status === 'ok' ? '' : ` (${c.status}${c.reason === undefined ? '' : `: ${c.reason.split('\n')[0] ?? ''}`})`;
      return [`### ${c.title}${status}`, '', ...(main === undefined ? [] : [`${main.title}:`, '', ...table(main), '']), ...c.charts.map((ch) => `![${ch.title}](bench/results/${ch.file})\n`)];
    }),
    'Every table, chart and note of this run: [bench/results/latest.md](bench/results/latest.md); raw figures: [bench/results/latest.json](bench/results/latest.json).',
    '',
    END,
  ].join('\n');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start ? current.slice(0, start) + block + current.slice(end + END.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
  return file;
}

/** latest.md: the run as tables a person reads, with the charts inline. */
import type { CaseResult, Table } from '../lib/context.js';
import { fmt } from './format.js';
import type { RunReport } from './report.js';

export function table(t: Table): string[] {
  const cell = (c: string | number | null) => fmt(c).replace(/\|/g, '\\|');
  // Numbers align right, text left.
  const numeric = t.columns.map((_, i) => t.rows.every((r) => typeof r[i] !== 'string'));
  return [`| ${t.columns.join(' | ')} |`, `| ${numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

function met(m: boolean | null): string {
  return m === null ? 'not measured' : m ? 'met' : '**missed**';
}

/** The header lines: when, what, where. */
export function runHeader(r: RunReport): string[] {
  const commit = r.git.commit === null ? 'unknown commit' : `commit \`${r.git.commit.slice(0, 12)}\`${r.git.srcDirty ? ' (with uncommitted changes under src/)' : ''}`;
  const m = r.machine;
  return [
    `${r.mode === 'quick' ? 'Quick (smoke) run' : 'Full run'} of ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${commit}, \`${r.command}\`, ${fmt(r.durationS / 60)} min.`,
    `Machine: ${m.cores} × ${m.cpuModel}, ${m.memoryGb} GB, ${m.os}, Node ${m.node}. The load generator runs on the same cores.`,
  ];
}

/** Every target of every case, one row each. */
export function targetsTable(cases: CaseResult[]): string[] {
  const rows = cases.flatMap((c) => c.targets.map((t) => [c.title, t.name, `${t.op} ${fmt(t.limit)} ${t.unit}`, `${fmt(t.actual)} ${t.unit}`, met(t.met)]));
  if (rows.length === 0) return ['(no targets in this run)'];
  return table({ title: '', columns: ['case', 'figure', 'target', 'this run', ''], rows });
}

export function ratiosTable(cases: CaseResult[]): string[] {
  const rows = cases.flatMap((c) => c.ratios.map((x) => [c.title, x.name, fmt(x.value), x.rounds === undefined ? '' : x.rounds.map((v) => fmt(v)).join(', ')]));
  if (rows.length === 0) return ['(no ratios in this run)'];
  return table({ title: '', columns: ['case', 'ratio', 'value', 'per round'], rows });
}

function caseSection(c: CaseResult, n: number): string[] {
  const lines = [`## ${n}. ${c.title}`, ''];
  if (c.status !== 'ok') {
    const reason = c.reason ?? '';
    if (reason.includes('\n')) lines.push(`**${c.status}**:`, '', '```text', reason, '```', '');
    else lines.push(`**${c.status}**${reason === '' ? '' : `: ${reason}`}`, '');
  }
  for (const t of c.tables) lines.push(`${t.title}:`, '', ...table(t), '');
  for (const ch of c.charts) lines.push(`![${ch.title}](${ch.file})`, '');
  for (const note of c.notes) lines.push(`- ${note}`);
  if (c.notes.length > 0) lines.push('');
  const params = Object.entries(c.params)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  if (params !== '') lines.push(`<sub>${params}; ${fmt(c.durationS)} s</sub>`, '');
  return lines;
}

export function renderMarkdown(r: RunReport): string {
  const lines = [
    '# Nimbus benchmark results',
    '',
    ...runHeader(r),
    '',
    r.mode === 'quick' ? '> Quick mode: short rounds that check the harness works. Do not quote these figures.\n' : '',
    'Raw figures: [latest.json](latest.json). What each case means: [bench/README.md](../README.md).',
    '',
    '## Targets',
    '',
    ...targetsTable(r.cases),
    '',
    '## Ratios (measured within the same run)',
    '',
    ...ratiosTable(r.cases),
    '',
    ...r.cases.flatMap((c, i) => caseSection(c, i + 1)),
  ];
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

/**
 * `npm run bench`: run every benchmark case on this machine and write bench/results/latest.{json,md}
 * plus the charts; a full run of every case also refreshes the quoted block of BENCHMARKS.md.
 *
 *   node dist/bench/run.js [--quick] [--only warm-http,cold-start] [--cpu-prof] [--out dir] [--keep-tmp]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cases } from './cases/index.js';
import { emptyOutput, type BenchContext, type CaseResult } from './lib/context.js';
import { gitInfo, machineInfo } from './lib/machine.js';
import { takeCrashes } from './lib/nimbus.js';
import { resultsDir } from './lib/paths.js';
import { onEmergency, withScope } from './lib/scope.js';
import { fmt } from './report/format.js';
import type { RunReport } from './report/report.js';
import { updateBenchmarksMd, writeResults } from './report/write.js';

const USAGE = `usage: node dist/bench/run.js [options]
  --quick          short rounds (~2-3 min): checks that the harness works; figures are not to be quoted
  --only <ids>     comma-separated cases: ${cases.map((c) => c.id).join(', ')}
  --cpu-prof       run each Nimbus node under --cpu-prof (profiles in bench/results/prof/)
  --out <dir>      where latest.json, latest.md and the charts go (default bench/results)
  --keep-tmp       keep the run's temp dir (server logs, generated apps)`;

function parse() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        'cpu-prof': { type: 'boolean', default: false },
        out: { type: 'string' },
        'keep-tmp': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}

const args = parse();
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const only =
  args.only === undefined
    ? null
    : args.only
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
const unknown = (only ?? []).filter((id) => !cases.some((c) => c.id === id));
if (unknown.length > 0) {
  process.stderr.write(`unknown case(s): ${unknown.join(', ')}\n${USAGE}\n`);
  process.exit(2);
}
const selected = cases.filter((c) => only === null || only.includes(c.id));

const t0 = Date.now();
const log = (line: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
const tmpDir = mkdtempSync(resolve(tmpdir(), 'nimbus-bench-'));
const keepTmp = args['keep-tmp'];
if (!keepTmp) onEmergency(() => rmSync(tmpDir, { recursive: true, force: true }));
const ctx: BenchContext = { quick: args.quick, cpuProf: args['cpu-prof'], tmpDir, log };

const machine = machineInfo();
const git = gitInfo();
log(`${args.quick ? 'quick' : 'full'} run of ${selected.map((c) => c.id).join(', ')} on ${machine.cores} × ${machine.cpuModel}, Node ${machine.node}; temp dir ${tmpDir}`);

const results: CaseResult[] = [];
for (const c of selected) {
  log(`== ${c.id}: ${c.title}`);
  const start = performance.now();
  let result: CaseResult;
  try {
    const out = await withScope((scope) => c.run(ctx, scope));
    result = { id: c.id, title: c.title, durationS: 0, ...out, status: out.status ?? 'ok' };
  } catch (err) {
    const e = err as Error;
    process.stderr.write(`${e.stack ?? String(e)}\n`);
    result = { id: c.id, title: c.title, durationS: 0, ...emptyOutput(), status: 'failed', reason: e.message.split('\n').slice(0, 20).join('\n') };
  }
  result.durationS = (performance.now() - start) / 1000;
  const crashes = takeCrashes();
  if (crashes.length > 0) {
    result.status = 'failed';
    result.reason = [result.reason, ...crashes].filter((x) => x !== undefined).join('\n');
  }
  results.push(result);
  const targets = result.targets.map((t) => `${t.name} ${fmt(t.actual)} ${t.unit} (${t.op} ${fmt(t.limit)}: ${t.met === null ? '?' : t.met ? 'met' : 'MISSED'})`);
  log(`   ${c.id} ${result.status} in ${result.durationS.toFixed(0)} s${result.reason === undefined ? '' : `: ${result.reason.split('\n')[0] ?? ''}`}`);
  for (const t of targets) log(`   ${t}`);
}

const report: RunReport = {
  schema: 1,
  mode: args.quick ? 'quick' : 'full',
  only,
  startedAt: new Date(t0).toISOString(),
  durationS: (Date.now() - t0) / 1000,
  machine,
  git,
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  cases: results,
};
const outDir = args.out === undefined ? resultsDir : resolve(args.out);
for (const file of writeResults(report, outDir)) log(`wrote ${file}`);
if (report.mode === 'full' && only === null && args.out === undefined) log(`wrote ${updateBenchmarksMd(report)}`);
if (keepTmp) log(`kept ${tmpDir}`);
else rmSync(tmpDir, { recursive: true, force: true });

const failed = results.filter((r) => r.status === 'failed');
log(`done in ${((Date.now() - t0) / 60000).toFixed(1)} min${failed.length > 0 ? `; FAILED: ${failed.map((r) => r.id).join(', ')}` : ''}`);
// Missed targets never fail the run (absolute times are not a gate); a broken harness does.
process.exitCode = failed.length > 0 ? 1 : 0;

/**
 * Load generator process: runs autocannon against one URL and prints a LoadResult as JSON.
 * It runs apart from the server under test so that each gets its own share of the CPUs.
 * Usage: node autocannon.js '<LoadSpec JSON>'
 */
import autocannon, { type Options } from 'autocannon';
import { cdfPoints, percentileSorted } from '../lib/stats.js';
import type { LoadResult, LoadSpec } from './protocol.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;

// autocannon's histogram has 1 ms resolution; a warm hello answers in well under that, so
// every 2xx response time is kept (float ms) and the percentiles are computed here.
let times = new Float64Array(1 << 20);
let count = 0;
function record(ms: number): void {
  if (count === times.length) {
    const bigger = new Float64Array(times.length * 2);
    bigger.set(times);
    times = bigger;
  }
  times[count++] = ms;
}

const opts: Options = {
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationS,
  method: spec.method ?? 'GET',
  timeout: 10,
};
if (spec.overallRate !== undefined) opts.overallRate = spec.overallRate;
if (spec.expectBody !== undefined) opts.expectBody = spec.expectBody;
if (spec.headers !== undefined) opts.headers = spec.headers;
if (spec.body !== undefined) opts.body = spec.body;

const instance = autocannon(opts);
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (statusCode >= 200 && statusCode < 300) record(responseTime);
});
process.once('SIGTERM', () => instance.stop());

const result = await instance;
const sorted = times.subarray(0, count).sort();
let sum = 0;
for (const t of sorted) sum += t;
const durationS = (result.finish.getTime() - result.start.getTime()) / 1000;
const statusCodes: Record<string, number> = {};
for (const [code, { count: c }] of Object.entries(result.statusCodeStats)) statusCodes[code] = Number(c);

const out: LoadResult = {
  rps: count / durationS,
  ok: count,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  mismatches: result.mismatches,
  statusCodes,
  durationS,
  latency: {
    min: percentileSorted(sorted, 0),
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    p999: percentileSorted(sorted, 99.9),
    max: count > 0 ? (sorted[count - 1] as number) : Number.NaN,
    mean: count > 0 ? sum / count : Number.NaN,
  },
  cdf: cdfPoints(sorted),
};
process.stdout.write(`${JSON.stringify(out)}\n`);

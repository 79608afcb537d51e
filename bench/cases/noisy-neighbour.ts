/**
 * Case 6, noisy neighbour: the warm hello's tail latency while another function busy-loops on
 * every instance it may have, and while another app attacks the node on every front at once
 * (CPU, memory past its limit, CPU while idle, file descriptors, a log flood: issue 8's soak), as
 * ratios to the same figure on a quiet node (interleaved rounds).
 * The hello is driven at a fixed request rate rather than flat out: at saturation p99 measures
 * lost throughput, at a fixed rate it measures how long requests wait for a CPU.
 */
import { handlers, hostile, writeApp } from '../lib/apps.js';
import { emptyOutput, failIf, type BenchCase } from '../lib/context.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import { badSystems } from '../lib/rounds.js';
import { startNimbus } from '../lib/nimbus.js';
import { sleep } from '../lib/proc.js';
import { fmt } from '../report/format.js';
import { medianCdf, median, ratio, summarize } from '../lib/stats.js';

const CONNECTIONS = 10;
const RATE = 2000;
/** Instances the noisy function may have: one per core, so it can take every CPU. */
const NOISY_INSTANCES = 2;
/** Long calls, so the spinner never rests between them (and the platform sees them as long-running). */
const BUSY_MS = 2000;

export const noisyNeighbour: BenchCase = {
  id: 'noisy-neighbour',
  title: 'Noisy neighbour',
  async run(ctx, scope) {
    const rounds = ctx.quick ? 3 : 8;
    const durationS = ctx.quick ? 2 : 5;
    const out = emptyOutput({ connections: CONNECTIONS, rateReqPerS: RATE, rounds, durationS, noisyInstances: NOISY_INSTANCES, busyMsPerInvocation: BUSY_MS });
    const node = await startNimbus(ctx, scope, { name: 'noisy' });
    await node.deploy(
      writeApp(ctx.tmpDir, {
        app: 'noisy',
        functions: {
          hello: { source: handlers.lambda(), routes: ['GET /hello'], concurrency: 1, instanceConcurrency: 100, idleTimeout: 3600 },
          spinner: { source: handlers.busy(BUSY_MS), routes: ['GET /spin'], concurrency: NOISY_INSTANCES, instanceConcurrency: 1, idleTimeout: 3600, timeout: 10 },
        },
      }),
    );
    const port = Number(new URL(node.gatewayUrl).port);
    // The attacker: default settings, as anyone allowed to deploy would have.
    await node.deploy(
      writeApp(ctx.tmpDir, {
        app: 'attacker',
        functions: {
          spin: { source: handlers.busy(BUSY_MS), routes: ['GET /attack/spin'], timeout: 10 },
          memory: { source: hostile.memory(), routes: ['GET /attack/memory'] },
          idle: { source: hostile.idleCpu(), routes: ['GET /attack/idle'] },
          fds: { source: hostile.fds(port), routes: ['GET /attack/fds'] },
          logs: { source: hostile.logs(), routes: ['GET /attack/logs'] },
        },
      }),
    );
    const attacks = ['spin', 'memory', 'idle', 'fds', 'logs'].map((a) => ({ url: `${node.gatewayUrl}/attack/${a}`, connections: a === 'spin' ? NOISY_INSTANCES : 1 }));
    const hello = { url: `${node.gatewayUrl}/hello`, connections: CONNECTIONS, overallRate: RATE, expectBody: 'hello' };
    const spin = { url: `${node.gatewayUrl}/spin`, connections: NOISY_INSTANCES };
    // The load generator abandons requests in flight when its time is up, but the platform runs
    // those invocations to the end: wait them out, or they spill into the next (quiet) measurement
    // and the next spinner run meets a busy function (429s).
    const spinnerDrained = () => sleep(BUSY_MS + 1000);
    // Warm both functions: the hello instance, and the spinner's instances.
    await runLoad({ ...hello, durationS: ctx.quick ? 1 : 3 });
    await runLoad({ ...spin, durationS: 1 });
    await spinnerDrained();

    const quiet: LoadResult[] = [];
    const noisy: LoadResult[] = [];
    const hostileRuns: LoadResult[] = [];
    const spins: LoadResult[] = [];
    const attackRuns: LoadResult[][] = [];
    const kinds = ['quiet', 'noisy', 'hostile'] as const;
    for (let r = 0; r < rounds; r++) {
      // Rotated each round, so no kind always follows the same one.
      for (const kind of [...kinds.slice(r % 3), ...kinds.slice(0, r % 3)]) {
        if (kind === 'quiet') {
          quiet.push(await runLoad({ ...hello, durationS }));
        } else if (kind === 'hostile') {
          const attacking = Promise.all(attacks.map((a) => runLoad({ ...a, durationS: durationS + 2 })));
          await sleep(1000);
          hostileRuns.push(await runLoad({ ...hello, durationS }));
          attackRuns.push(await attacking);
          await spinnerDrained();
        } else {
          const spinning = runLoad({ ...spin, durationS: durationS + 2 });
          await sleep(1000); // every spinner instance busy before the hello load starts
          noisy.push(await runLoad({ ...hello, durationS }));
          spins.push(await spinning);
          await spinnerDrained();
        }
        const last = (kind === 'quiet' ? quiet : kind === 'noisy' ? noisy : hostileRuns).at(-1);
        ctx.log(
          `  round ${r + 1}/${rounds} ${kind.padEnd(5)} p50 ${fmt(last?.latency.p50)} ms  p99 ${fmt(last?.latency.p99)} ms  ${fmt(last?.rps)} req/s  ${JSON.stringify(last?.statusCodes)} errors ${last?.errors}`,
        );
      }
    }
    const perRound = (pick: (r: LoadResult) => number, against = noisy) => quiet.map((q, i) => ratio(pick(against[i] as LoadResult), pick(q))).filter((x): x is number => x !== null);
    const p99 = perRound((r) => r.latency.p99);
    const p50 = perRound((r) => r.latency.p50);
    const hostileP99 = perRound((r) => r.latency.p99, hostileRuns);
    for (const q of ['p99', 'p50'] as const) {
      for (const [name, rows] of [
        ['quiet', quiet],
        ['noisy', noisy],
        ['hostile', hostileRuns],
      ] as const) {
        out.metrics[`${name}.${q}`] = summarize(
          rows.map((r) => r.latency[q]),
          'ms',
        );
      }
    }
    out.metrics['noisy.spinnerInvocationsPerS'] = summarize(
      spins.map((r) => r.rps),
      'req/s',
    );
    out.ratios.push(
      { name: 'hello p99 noisy / quiet', value: median(p99), rounds: p99, definition: 'per-round p99 of the hello with the spinner running divided by without, median over rounds' },
      { name: 'hello p50 noisy / quiet', value: median(p50), rounds: p50, definition: 'the same for p50' },
      {
        name: 'hello p99 hostile / quiet',
        value: median(hostileP99),
        rounds: hostileP99,
        definition: 'per-round p99 of the hello while an app with default settings attacks CPU, memory, idle CPU, file descriptors and logs at once, divided by quiet; target ≤ 2',
      },
    );
    const attackCodes = attacks.map((a, i) => `${a.url.split('/').pop()} ${JSON.stringify(attackRuns.at(-1)?.[i]?.statusCodes ?? {})}`);
    out.notes.push(`attacker answers in the last hostile round: ${attackCodes.join(', ')}`);
    failIf(
      out,
      badSystems(
        new Map([
          ['hello (quiet)', quiet],
          ['hello (noisy)', noisy],
          ['hello (hostile)', hostileRuns],
        ]),
      ),
    );
    const bad = [...quiet, ...noisy, ...hostileRuns].reduce((n, r) => n + r.non2xx + r.errors + r.mismatches, 0);
    if (bad > 0) out.notes.push(`${bad} hello requests were not answered 2xx "hello"`);
    const spinBad = spins.reduce((n, r) => n + r.non2xx + r.errors, 0);
    if (spinBad > 0) out.notes.push(`${spinBad} spinner requests failed (${JSON.stringify(spins.at(-1)?.statusCodes)})`);
    out.tables.push({
      title: `Warm hello at a fixed ${RATE} req/s over ${CONNECTIONS} connections, with and without ${NOISY_INSTANCES} instances of a function spinning ${BUSY_MS} ms per call (median of ${rounds} rounds)`,
      columns: ['node', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms'],
      rows: [
        ['quiet', median(quiet.map((r) => r.rps)), median(quiet.map((r) => r.latency.p50)), median(quiet.map((r) => r.latency.p99)), median(quiet.map((r) => r.latency.p999))],
        ['noisy', median(noisy.map((r) => r.rps)), median(noisy.map((r) => r.latency.p50)), median(noisy.map((r) => r.latency.p99)), median(noisy.map((r) => r.latency.p999))],
        [
          'hostile (all attacks)',
          median(hostileRuns.map((r) => r.rps)),
          median(hostileRuns.map((r) => r.latency.p50)),
          median(hostileRuns.map((r) => r.latency.p99)),
          median(hostileRuns.map((r) => r.latency.p999)),
        ],
      ],
    });
    out.charts.push({
      file: 'noisy-neighbour.svg',
      title: `Warm hello latency at ${RATE} req/s, quiet vs a neighbour spinning on ${NOISY_INSTANCES} instances`,
      kind: 'cdf',
      unit: 'ms',
      series: [
        { name: 'quiet', points: medianCdf(quiet.map((r) => r.cdf)) },
        { name: 'noisy neighbour', points: medianCdf(noisy.map((r) => r.cdf)) },
        { name: 'hostile neighbour', points: medianCdf(hostileRuns.map((r) => r.cdf)) },
      ],
    });
    return out;
  },
};
